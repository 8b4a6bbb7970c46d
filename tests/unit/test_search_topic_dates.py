"""Tags carry their story's date (``story_topics.published_at``, migration 0008), so PostgreSQL lists one big
topic along its own entries: the dates must follow every edit, and the pages equal the plain ordered list."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.routes.planning import make_planner
from bot.search import listing
from bot.search.filters import StoryFilter
from bot.search.service import SearchRequest, SearchService, page_request
from bot.store import FileParsed, Store
from tests.migrations import downgrade
from tests.storyfiles import parsed_file

PLANNER = make_planner(lambda s: [], announce=False, on_unpublish="delete")


def apply(store: Store, *items: FileParsed) -> None:
    store.apply(list(items), PLANNER)


def story(n: int, day: int | None) -> FileParsed:
    when = None if day is None else f"2026-11-{day:02d}T10:00:00Z"
    return parsed_file(f"{n}.md", n, title=f"S{n}", topics=["Grid"], publishedDateTime=when)


def titles_by_pages(svc: SearchService) -> list[str]:
    page = svc.search(SearchRequest(topic="grid", limit=2))
    seen = [h.story.title for h in page.hits]
    while page.page < page.pages:
        page = svc.search(page_request(page, page.page + 1))
        seen += [h.story.title for h in page.hits]
    return seen


def test_a_big_topic_pages_by_its_tags_dates_through_edits(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "SMALL_TOPIC", 2)
    store = Store.open(store_url)
    try:
        apply(store, *(story(n, day) for n, day in [(1, 3), (2, 5), (3, None), (4, 1), (5, 4)]))
        svc = SearchService(store, embargo=False)
        if store.backend.name == "postgresql":
            with store.searching() as q:
                assert "story_topics AS t" in q.plan(StoryFilter(topics=("grid",))).source
        assert titles_by_pages(svc) == ["S2", "S5", "S1", "S4", "S3"]
        apply(store, story(4, 9), story(2, None))  # re-dated, and undated
        assert titles_by_pages(svc) == ["S4", "S5", "S1", "S3", "S2"]
    finally:
        store.close()


def test_a_0007_database_gets_its_tags_dated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        apply(store, story(1, 3), story(2, None))
        downgrade(store, "0007")
    finally:
        store.close()
    Store.open(f"sqlite:///{path}").close()
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT t.published_at IS s.published_at FROM story_topics t JOIN stories s ON s.id = t.story_id"
        ).fetchall()
    assert rows == [(1,), (1,)]
