"""/news sort: on both backends: the discussed and relevant orders through the search service, with the counts
its pages show; latest stays the search as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import bot.search.service
from bot.render import news_pages
from bot.search.service import SearchRequest, SearchService, page_request
from bot.search.sorting import Sort
from bot.signal.ranking import Engagement, SignalRanker
from bot.store import Store
from tests.signals import put_counts
from tests.unit.test_search import add, parsed

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CHANNEL = 4242


def when(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def service(store: Store, *, ranked: bool = True) -> SearchService:
    ranker = SignalRanker(store.signal_reads.totals, store.signal_reads.engaged) if ranked else None
    return SearchService(store, clock=NOW.timestamp, refresh_every=0, ranker=ranker)


def ids_by_title(svc: SearchService) -> dict[str, int]:
    return {hit.story.title: hit.id for hit in svc.search(SearchRequest(limit=50)).hits}


def titles(svc: SearchService, **request: Any) -> list[str]:
    return [s.title for s in svc.search(SearchRequest(**request)).stories]


def test_discussed_puts_the_discussed_story_first_and_shows_its_counts(store: Store) -> None:
    add(
        store,
        parsed(1, title="Newest quiet", publishedDateTime=when(1)),
        parsed(2, title="Talked about", publishedDateTime=when(5)),
        parsed(3, title="Old and loud", publishedDateTime=when(24 * 7)),
        parsed(4, title="Middle quiet", publishedDateTime=when(3)),
    )
    svc = service(store)
    ids = ids_by_title(svc)
    put_counts(store.engine, ids["Talked about"], CHANNEL, reactions=4, replies=3)
    put_counts(store.engine, ids["Old and loud"], CHANNEL, reactions=20, replies=5)
    assert titles(svc, sort=Sort.LATEST) == ["Newest quiet", "Middle quiet", "Talked about", "Old and loud"]
    page = svc.search(SearchRequest(sort=Sort.DISCUSSED))
    assert [s.title for s in page.stories] == ["Talked about", "Old and loud", "Newest quiet", "Middle quiet"]
    assert page.counts == {ids["Talked about"]: Engagement(4, 3, 0), ids["Old and loud"]: Engagement(20, 5, 0)}
    embed = news_pages.results_embed(page)
    first, second, third = embed["description"].split("\n\n")[:3]
    assert first.endswith("💬 3 · 👍 4") and second.endswith("💬 5 · 👍 20") and "💬" not in third
    assert "most discussed first" in embed["title"]
    # The latest order shows no counts, and a service without a ranker has only the latest order.
    assert "💬" not in news_pages.results_embed(svc.search(SearchRequest()))["description"]
    assert titles(service(store, ranked=False), sort=Sort.DISCUSSED)[0] == "Newest quiet"


def test_discussed_keeps_the_filters_and_pages_by_number(store: Store) -> None:
    add(store, *(parsed(n, title=f"AI {n}", topics=["AI"], publishedDateTime=when(n)) for n in range(1, 8)))
    add(store, parsed(20, title="Sports loud", topics=["Sports"], publishedDateTime=when(2)))
    svc = service(store)
    ids = ids_by_title(svc)
    put_counts(store.engine, ids["AI 6"], CHANNEL, replies=2)
    put_counts(store.engine, ids["Sports loud"], CHANNEL, reactions=90)
    first = svc.search(SearchRequest(topic="AI", sort=Sort.DISCUSSED, limit=3))
    assert [s.title for s in first.stories] == ["AI 6", "AI 1", "AI 2"] and first.total == 7 and first.pages == 3
    second = svc.search(page_request(first, 2))
    assert second.request.seek is None and [s.title for s in second.stories] == ["AI 3", "AI 4", "AI 5"]
    assert [s.title for s in svc.search(page_request(second, 3)).stories] == ["AI 7"]


def test_a_discussed_story_beyond_the_ranking_window_is_still_found(store: Store, monkeypatch: Any) -> None:
    monkeypatch.setattr(bot.search.service, "RANK_WINDOW", 2)
    add(store, *(parsed(n, title=f"Story {n}", publishedDateTime=when(n)) for n in range(1, 6)))
    svc = service(store)
    put_counts(store.engine, ids_by_title(svc)["Story 5"], CHANNEL, reactions=1)
    page = svc.search(SearchRequest(sort=Sort.DISCUSSED))
    assert [s.title for s in page.stories] == ["Story 5", "Story 1", "Story 2"]
    assert page.window == 2, "the footer says only the newest were ranked"


def test_relevant_blends_the_word_match_with_quality_and_discussion(store: Store) -> None:
    add(
        store,
        parsed(1, title="Robots robots robots", excerpt="robots everywhere", quality=10, publishedDateTime=when(2)),
        parsed(2, title="Garden news", excerpt="one robots mention", quality=95, heat=90, publishedDateTime=when(2)),
        parsed(3, title="Cooking", excerpt="nothing to see", quality=99, publishedDateTime=when(1)),
    )
    svc = service(store)
    ids = ids_by_title(svc)
    assert titles(svc, query="robots", sort=Sort.RELEVANT) == ["Robots robots robots", "Garden news"]
    put_counts(store.engine, ids["Garden news"], CHANNEL, reactions=40, replies=20)
    assert titles(svc, query="robots", sort=Sort.RELEVANT) == ["Garden news", "Robots robots robots"]
    assert titles(svc, query="robots") == ["Robots robots robots", "Garden news"], "latest: word match as before"
    # Without a query: quality/heat and discussion only.
    assert titles(svc, sort=Sort.RELEVANT)[0] == "Garden news"
