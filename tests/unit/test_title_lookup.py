"""/feed explain's title autocomplete reads the full-text index, never scans every title (issue 20.3)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.routes.planning import make_planner
from bot.search.titles import title_hits
from bot.store import FileParsed, Store
from bot.stories.parser import parse_story_text
from tests.storyfiles import story_text


def parsed(n: int, **fields: Any) -> FileParsed:
    path = f"s{n}.md"
    story = parse_story_text(story_text(n, **fields), path)
    data = json.dumps(story.to_dict(), sort_keys=True)
    return FileParsed(path, n, 100, f"sha-{n}-{fields}", story, data, hashlib.sha256(data.encode()).hexdigest())


def test_titles_come_from_the_index_unpublished_ones_included(store: Store, statements: list[str]) -> None:
    store.apply(
        [
            parsed(1, title="Merger talks resume", excerpt="Secretive plans."),
            parsed(2, title="SECRET draft merger", published=False),
            parsed(3, title="Rain in Spain", excerpt="A secret forecast."),
            parsed(4, title="Drones über Zürich"),
        ],
        make_planner(lambda s: [], announce=False, on_unpublish="delete"),
    )
    newsroom = store.newsroom
    statements.clear()
    # Titles with every typed word, newest first (unpublished too: admins explain those); excerpts don't count.
    assert [t for _i, t in newsroom.story_titles("secr")] == ["SECRET draft merger"]
    assert [t for _i, t in newsroom.story_titles("SECRET dr")] == ["SECRET draft merger"]
    assert [t for _i, t in newsroom.story_titles("merger")] == ["SECRET draft merger", "Merger talks resume"]
    assert [t for _i, t in newsroom.story_titles("zürich")] == ["Drones über Zürich"]
    assert newsroom.story_titles("nothing like it") == []
    assert [t for _i, t in newsroom.story_titles("")][:2] == ["Drones über Zürich", "Rain in Spain"]  # newest
    assert statements and not [s for s in statements if "LIKE" in s.upper()], "no scan of every title"


def test_title_hits_count_whole_words_and_a_last_word_start() -> None:
    assert title_hits("SECRET draft merger", ["secret", "dr"]) == 2
    assert title_hits("SECRET draft merger", ["draft", "secrets"]) == 1
    assert title_hits("Drones über Zürich", ["uber"]) == 1
    assert title_hits(None, ["x"]) == 0
