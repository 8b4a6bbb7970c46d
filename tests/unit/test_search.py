"""The /news search service on both backends (a SQLite file, a PostgreSQL database): topics, full text,
providers, dates, paging, rendering."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

import bot.search.service
import bot.search.words
from bot.render import news_pages
from bot.render.embeds import EMBED_TOTAL_LIMIT, embed_length
from bot.routes.planning import make_planner
from bot.search.service import (
    SearchRequest,
    SearchService,
    clamp_page,
    count_cap,
    page_count,
    page_offset,
    search_stories,
)
from bot.search.words import fts_match
from bot.store import FileParsed, FileRemoved, Store
from bot.stories.parser import parse_story_text
from cogs.news import _respond
from cogs.news._views import ResultsView
from tests.storyfiles import story_text

NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
# The list; the second line holds no word that could match (stopwords aside).
HOSTILE = ['"unbalanced', "NEAR(a b", "title:x", "x" * 500, 'quote"in NEAR/2 word']
WORDLESS = ["*", "((", "__", "😀 " * 50, "a OR", "AND", "^-+:", '"" ""', ")(*&^%$#@!"]


def parsed(n: int, **fields: Any) -> FileParsed:
    path = f"s{n}.md"
    story = parse_story_text(story_text(n, **fields), path)
    data = json.dumps(story.to_dict(), sort_keys=True)
    return FileParsed(path, n, 100, f"sha-{n}-{fields}", story, data, hashlib.sha256(data.encode()).hexdigest())


def add(store: Store, *items: FileParsed | FileRemoved) -> None:
    store.apply(list(items), make_planner(lambda s: [], announce=False, on_unpublish="delete"))


def service(store: Store) -> SearchService:
    return SearchService(store, clock=lambda: NOW, refresh_every=0)


def titles(svc: SearchService, **request: Any) -> list[str]:
    return [s.title for s in svc.search(SearchRequest(**request)).stories]


def test_topics_match_case_insensitively_by_each_of_a_storys_topics_or_a_word_start(store: Store) -> None:
    add(
        store,
        parsed(1, title="Both", topics=["Machine Learning", "AI"]),
        parsed(2, title="Apps", topics=["Learn Apps"]),
    )
    svc = service(store)
    for topic in ("AI", "ai", " Ai ", "machine learning", "MACHINE LEARNING"):
        assert titles(svc, topic=topic) == ["Both"], topic
    assert sorted(titles(svc, topic="learn")) == ["Apps", "Both"]  # free text: the topics it starts a word of
    assert titles(svc, topic="earn") == []  # the middle of a word is not a match


def test_unknown_topic_finds_nothing_and_suggests_the_closest_topics(store: Store) -> None:
    add(store, parsed(1, topics=["Robotics"]), parsed(2, topics=["Space"]))
    page = service(store).search(SearchRequest(topic="Robtics"))
    assert page.hits == () and page.total == 0 and page.pages == 1
    assert page.suggestions[0] == "Robotics"
    message = news_pages.nothing_found(page)
    assert "Robtics" in message and "**Robotics**" in message


def test_only_published_stories_are_ever_found_and_secured_never_shows(store: Store) -> None:
    add(store, parsed(1, title="Live"), parsed(2, title="Draft quantum", published=False, topics=["AI", "Hidden"]))
    svc = service(store)
    assert titles(svc) == titles(svc, topic="AI") == titles(svc, provider="Example News") == ["Live"]
    assert titles(svc, query="quantum") == [] and titles(svc, query="U0VDUkVUU0VDUkVU") == []
    assert dict(svc.topic_suggestions("")) == {"AI": 1}
    page = svc.search(SearchRequest(topic="AI"))
    assert "U0VDUkVU" not in json.dumps([news_pages.results_embed(page), news_pages.story_message(page.hits[0].story)])
    add(store, FileRemoved("s1.md"))
    assert titles(svc) == [] and titles(svc, topic="AI") == []


def test_full_text_ranks_a_title_match_above_an_excerpt_match(store: Store) -> None:
    add(
        store,
        parsed(1, title="Markets drift", excerpt="Nothing about satellites here, one satellite aside."),
        parsed(2, title="Satellite launch delayed", excerpt="The company said little."),
        parsed(3, title="Unrelated", excerpt="No match at all."),
    )
    assert titles(service(store), query="satellite") == ["Satellite launch delayed", "Markets drift"]


def test_full_text_covers_provider_and_topics_and_falls_back_to_word_starts(store: Store) -> None:
    add(store, parsed(1, title="Quantum sensors", provider={"name": "Orbital Ledger"}, topics=["Physics"]))
    svc = service(store)
    for query in ("quantum", "orbital ledger", "physics", "sens", "QUANTUM the"):
        assert titles(svc, query=query) == ["Quantum sensors"], query


@pytest.mark.parametrize("query", HOSTILE + WORDLESS)
def test_hostile_queries_get_a_normal_answer(store: Store, query: str) -> None:
    add(store, parsed(1, title="Robots learn to read"))
    page = service(store).search(SearchRequest(query=query))
    assert page.hits == () and page.total == 0
    assert news_pages.nothing_found(page).startswith("No published stories match")
    # Its syntax is inert next to a real word: only its words (if any) still have to match.
    expected = ["Robots learn to read"] if query in WORDLESS else []
    assert titles(service(store), query=f"{query} robots") == expected
    match = fts_match(query, prefix=True)
    assert match is None or all(part.startswith('"') for part in match.split(" "))


def test_fts_match_quotes_every_word_and_drops_stopwords_unless_nothing_else_is_left() -> None:
    assert fts_match('the "moon" OR NEAR(mars') == '"moon" "NEAR" "mars"'
    assert fts_match("the and") == '"the" "and"'
    assert fts_match("the sens", prefix=True) == '"sens"*'
    assert fts_match("the sen", prefix=True) is None, "too short a start to expand"
    assert fts_match("   ") is None


def test_days_keeps_only_recent_stories(store: Store) -> None:
    add(
        store,
        parsed(1, title="Two days old", publishedDateTime="2026-11-29T00:00:00Z"),
        parsed(2, title="Ten days old", publishedDateTime="2026-11-21T00:00:00Z"),
        parsed(3, title="Last year", publishedDateTime="2025-11-21T00:00:00Z"),
    )
    svc = service(store)
    assert titles(svc, days=3) == ["Two days old"]
    assert titles(svc, days=30) == ["Two days old", "Ten days old"]
    assert titles(svc, days=30, query="story") == ["Two days old", "Ten days old"]
    assert len(titles(svc, days=3650)) == 3


def test_provider_matches_case_insensitively_and_by_word(store: Store) -> None:
    add(
        store,
        parsed(1, title="A", provider={"name": "The Coastal Beacon"}),
        parsed(2, title="B", provider={"name": "the coastal beacon"}),
        parsed(3, title="C", provider={"name": "Coastal Ledger"}),
        parsed(4, title="D", provider={"name": "Other"}),
    )
    svc = service(store)
    assert sorted(titles(svc, provider="THE COASTAL BEACON")) == ["A", "B"]
    assert sorted(titles(svc, provider="coastal")) == ["A", "B", "C"]
    # Both spellings are one provider; a name starting with "coa" comes before one with a later word that does.
    assert svc.provider_suggestions("coa") == [("Coastal Ledger", 1), ("The Coastal Beacon", 2)]


def test_paging_maths() -> None:
    assert [page_count(n, 10) for n in (0, 1, 10, 11, 1000)] == [1, 1, 1, 2, 100]
    assert [clamp_page(p, 3) for p in (-5, 0, 1, 3, 4)] == [1, 1, 1, 3, 3]
    assert [page_offset(p, 10) for p in (0, 1, 2, 10)] == [0, 0, 10, 90]
    assert (
        count_cap(1, 10) == bot.search.service.COUNT_AHEAD and count_cap(3, 10) == 20 + bot.search.service.COUNT_AHEAD
    )


def test_pages_walk_newest_first_without_gaps_and_clamp(store: Store) -> None:
    add(store, *(parsed(n, publishedDateTime=f"2026-11-{n:02d}T00:00:00Z", topics=["AI"]) for n in range(1, 26)))
    svc = service(store)
    seen = []
    for number in (1, 2, 3):
        page = svc.search(SearchRequest(topic="AI", page=number))
        assert (page.page, page.pages, page.total, page.capped) == (number, 3, 25, False)
        seen += [s.title for s in page.stories]
    assert seen == [f"Story number {n}" for n in range(25, 0, -1)]
    assert svc.search(SearchRequest(topic="AI", page=99)).page == 3
    assert [s.title for s in search_stories(store, SearchRequest(topic="ai", limit=2))] == seen[:2]


def test_counting_stops_at_the_cap_and_reaches_further_on_later_pages(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.search.service, "COUNT_AHEAD", 5)
    add(store, *(parsed(n) for n in range(1, 13)))
    first = service(store).search(SearchRequest(limit=2))
    assert (first.total, first.capped, first.pages) == (5, True, 3)
    assert news_pages.page_label(first) == "1/3+" and "5+ stories" in news_pages.footer(first)
    later = service(store).search(SearchRequest(limit=2, page=3))
    assert (later.total, later.capped, later.page) == (9, True, 3)
    last = service(store).search(SearchRequest(limit=2, page=6))
    assert (last.total, last.capped, last.pages, len(last.hits)) == (12, False, 6, 2)


def test_a_broad_query_is_ranked_within_a_window_of_the_newest_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.search.words, "QUERY_WINDOW", 3)
    add(store, *(parsed(n, title=f"Story number {n}") for n in range(1, 8)))
    page = service(store).search(SearchRequest(query="story"))
    assert page.window == 3 and page.total == 3
    assert {s.title for s in page.stories} == {"Story number 5", "Story number 6", "Story number 7"}
    assert "best matches among the 3 newest" in news_pages.footer(page)


def test_topic_suggestions_rank_prefix_matches_first_then_by_count(store: Store) -> None:
    add(
        store,
        parsed(1, topics=["AI", "Brain AI"]),
        parsed(2, topics=["AI", "Air Travel"]),
        parsed(3, topics=["Air Travel", "Brain AI"]),
        parsed(4, topics=["Air Travel"]),
    )
    svc = service(store)
    assert svc.topic_suggestions("ai") == [("Air Travel", 3), ("AI", 2), ("Brain AI", 2)]
    assert svc.topic_suggestions("AI", limit=1) == [("Air Travel", 3)]
    assert svc.topic_suggestions("zzz") == []
    add(store, parsed(5, topics=["AI"]), parsed(6, topics=["AI"]))
    assert svc.topic_suggestions("ai")[0] == ("Air Travel", 3), "the catalog changes only on refresh"
    assert svc.refresh() is True and svc.refresh() is False
    assert svc.topic_suggestions("ai")[0] == ("AI", 4)


def test_results_embed_stays_within_discord_limits_and_defuses_text(store: Store) -> None:
    long = "@everyone [x](https://evil.example) **bold** " + "word " * 600
    url = "https://news.example/" + "p" * 2000
    add(store, *(parsed(n, title=long, webUrl=f"{url}{n}", topics=["AI", "<@&1234567890123>"]) for n in range(10)))
    page = service(store).search(SearchRequest(topic="AI", query="word"))
    embed = news_pages.results_embed(page)
    assert len(page.hits) == 10 and embed["title"] == "News: topic AI, “word”"
    assert len(embed["description"]) <= 4096 and embed_length(embed) <= EMBED_TOTAL_LIMIT
    assert "@everyone" not in embed["description"] and "<@&" not in embed["description"]
    assert "\\[x\\]\\(https" in embed["description"] and "\\*\\*bold" in embed["description"]
    assert "<t:" in embed["description"] and ":R>" in embed["description"]
    options = [news_pages.option(hit) for hit in page.hits]
    assert all(len(o["label"]) <= 100 and len(o["description"]) <= 100 for o in options)


def test_a_result_line_links_the_title_and_shows_provider_time_and_topics(store: Store) -> None:
    add(store, parsed(3, title="Robots (and more)", webUrl="https://news.example/a_(b)", topics=["AI", "Robotics"]))
    hit = service(store).search(SearchRequest()).hits[0]
    line = news_pages.result_line(1, hit.story)
    stamp = int(datetime(2026, 11, 4, 3, tzinfo=UTC).timestamp())
    assert line == (
        f"**1.** [Robots \\(and more\\)](https://news.example/a_%28b%29)\nExample News · <t:{stamp}:R> · AI, Robotics"
    )
    assert news_pages.choice("AI", 124) == ("AI (124)", "AI")
    assert news_pages.choice("x" * 101, 1) is None


class Interaction:
    """Just enough of discord.Interaction (and its ``response``) to see how /news answers."""

    id = 1

    def __init__(self) -> None:
        self.response = self
        self.deferred = threading.Event()
        self.defers: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []

    def is_done(self) -> bool:
        return bool(self.defers)

    async def defer(self, **kwargs: Any) -> None:
        self.defers.append(kwargs)
        self.deferred.set()

    async def edit_original_response(self, **fields: Any) -> None:
        self.edits.append(fields)


async def test_a_slow_store_defers_the_answer_and_a_fast_one_does_not(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = Interaction()
    assert await _respond.run_or_defer(fast, store, lambda: 42, update=False) == 42  # type: ignore[arg-type]
    assert fast.defers == []
    monkeypatch.setattr(_respond, "DEFER_AFTER", 0.01)
    for update, expected in ((False, {"ephemeral": False, "thinking": True}), (True, {})):
        slow = Interaction()
        # The work cannot finish before the answer is deferred: no race, whatever the machine's speed.
        assert await _respond.run_or_defer(slow, store, slow.deferred.wait, 5.0, update=update, ephemeral=False)  # type: ignore[arg-type]
        assert slow.defers == [expected]


async def test_a_timed_out_view_disables_every_control_but_links(store: Store) -> None:
    add(store, *(parsed(n) for n in range(12)))
    svc = service(store)
    page = svc.search(SearchRequest())
    origin = Interaction()
    view = ResultsView(svc, page, owner_id=1, origin=origin, public=False)  # type: ignore[arg-type]
    assert len(view.children) == 6 and not all(item.disabled for item in view.children)  # type: ignore[attr-defined]
    await view.on_timeout()
    assert origin.edits == [{"view": view}] and all(item.disabled for item in view.children)  # type: ignore[attr-defined]
    view.show_story(news_pages.story_message(page.hits[0].story))
    await view.on_timeout()
    links = [item for item in view.children if getattr(item, "url", None)]
    assert links and all(item.disabled is (item not in links) for item in view.children)  # type: ignore[attr-defined]
