"""Embargo in the store: held ledger rows, their release, and /news and status never showing them early."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config
from bot.render.status import render_embed, render_text
from bot.routes.planning import make_planner
from bot.search.service import SearchRequest, SearchService
from bot.status import status_report
from bot.store import DeliveryState, FileParsed, FileRemoved, Store
from tests.storyfiles import parsed_file

CHANNELS = [7, 8]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
SOON = "2026-12-01T12:30:00Z"  # half an hour after NOW
LATER = "2026-12-01T18:00:00Z"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'test.db'}")
    yield s
    s.close()


def apply(store: Store, *items: FileParsed | FileRemoved, on_unpublish: str = "delete") -> list[tuple[int, int]]:
    planner = make_planner(lambda s: CHANNELS, announce=True, on_unpublish=on_unpublish)
    return store.apply(list(items), planner).pending


def ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_a_future_story_is_held_until_its_date_and_released_in_its_window(store: Store) -> None:
    apply(store, parsed_file("past.md", 1), parsed_file("soon.md", 2, publishedDateTime=SOON))
    apply(store, parsed_file("undated.md", 3, publishedDateTime=None))
    past, soon, undated = 1, 2, 3
    assert sorted(store.ledger.pending(NOW)) == sorted((s, c) for s in (past, undated) for c in CHANNELS)
    assert len(store.ledger.pending()) == 6  # without embargo nothing is held
    assert store.ledger.next_release(NOW) == ts(SOON)
    [held] = store.ledger.held(NOW)
    assert (held.story_id, held.title, held.release_at, held.channels) == (soon, "Story number 2", ts(SOON), (7, 8))
    assert store.ledger.released(NOW, ts(SOON) - 1) == []
    assert store.ledger.released(NOW, ts(SOON)) == [(soon, 7), (soon, 8)]
    # Once its date has passed the row is simply pending, and nothing is held any more.
    assert len(store.ledger.pending(ts(SOON))) == 6
    assert store.ledger.next_release(ts(SOON)) is None and store.ledger.held(ts(SOON)) == []


def test_an_edit_to_the_date_moves_the_release(store: Store) -> None:
    apply(store, parsed_file("a.md", 1, publishedDateTime=SOON))
    apply(store, parsed_file("a.md", 1, publishedDateTime=LATER))
    assert store.ledger.next_release(NOW) == ts(LATER)
    assert store.ledger.released(NOW, ts(SOON)) == []
    assert store.ledger.released(ts(SOON), ts(LATER)) == [(1, 7), (1, 8)]


@pytest.mark.parametrize(("mode", "settled"), [("delete", "delete"), ("keep", "cancelled")])
def test_unpublishing_a_held_story_cancels_its_release(store: Store, mode: str, settled: str) -> None:
    apply(store, parsed_file("a.md", 1, publishedDateTime=SOON), on_unpublish=mode)
    apply(store, parsed_file("a.md", 1, publishedDateTime=SOON, published=False), on_unpublish=mode)
    # delete: a delete with no message, which the send queue settles without calling Discord; keep: cancelled.
    assert {state for state, _msg in store.ledger.states(parsed_file("a.md", 1).story.key).values()} == {settled}
    assert store.ledger.next_release(NOW) is None and store.ledger.held(NOW) == []
    assert store.ledger.released(NOW, ts(LATER)) == []


def test_a_posted_story_whose_date_moves_ahead_is_never_held(store: Store) -> None:
    apply(store, parsed_file("a.md", 1))
    delivery = store.ledger.read((1, 7))
    assert delivery is not None
    store.ledger.settle(delivery, DeliveryState.SENT, message_id=99)
    apply(store, parsed_file("a.md", 1, publishedDateTime=LATER))
    assert (1, 7) in store.ledger.pending(NOW)  # an edit of the posted message, due now
    assert [h.channels for h in store.ledger.held(NOW)] == [(8,)]


def test_backfill_selection_splits_released_and_held_stories(store: Store) -> None:
    apply(store, parsed_file("a.md", 1), parsed_file("b.md", 2), parsed_file("c.md", 3, publishedDateTime=SOON))
    assert [i for i, _ in store.latest_published(1, until=NOW)] == [2]
    assert [i for i, _ in store.latest_published(None, after=NOW)] == [3]
    assert [i for i, _ in store.latest_published(1)] == [3]


def service(store: Store, *, embargo: bool = True) -> SearchService:
    return SearchService(store, clock=lambda: NOW, refresh_every=0, embargo=embargo)


def test_news_never_shows_a_held_story_before_its_release(store: Store) -> None:
    apply(store, parsed_file("a.md", 1, topics=["Space"]))
    apply(store, parsed_file("b.md", 2, topics=["Space"], title="Launch secret", publishedDateTime=SOON))
    svc = service(store)
    for request in (
        SearchRequest(),
        SearchRequest(topic="space"),
        SearchRequest(provider="Example News"),
        SearchRequest(query="story"),
        SearchRequest(query="launch"),
        SearchRequest(topic="space", days=60),
    ):
        page = svc.search(request)
        assert "Launch secret" not in [s.title for s in page.stories], request
        assert page.total == (0 if request.query == "launch" else 1), request
    assert svc.topic_suggestions("spa") == [("Space", 1)]
    assert svc.provider_suggestions("exa") == [("Example News", 1)]
    assert svc.story(2) is None and svc.story(1) is not None
    # Without embargo (or once released) it is a story like any other.
    assert service(store, embargo=False).search(SearchRequest(topic="space")).total == 2
    assert service(store, embargo=False).story(2) is not None
    released = SearchService(store, clock=lambda: ts(SOON), refresh_every=0)
    assert released.search(SearchRequest(topic="space")).total == 2
    assert released.topic_suggestions("spa") == [("Space", 2)]


def test_the_catalog_is_rebuilt_when_a_held_story_is_released(store: Store) -> None:
    apply(store, parsed_file("a.md", 1), parsed_file("b.md", 2, publishedDateTime=SOON))
    clock = [NOW]
    svc = SearchService(store, clock=lambda: clock[0], refresh_every=0)
    assert svc.topic_suggestions("ai") == [("AI", 1)]
    clock[0] = ts(SOON)
    assert svc.refresh()  # nothing was written, but a story's date arrived
    assert svc.topic_suggestions("ai") == [("AI", 2)]


def test_status_lists_held_stories_with_release_times_and_abbreviates(store: Store) -> None:
    for n in range(1, 8):
        apply(store, parsed_file(f"{n}.md", n, publishedDateTime=f"2026-12-0{n + 1}T09:00:00Z"))
    report = status_report(store, now=NOW)
    assert [h.story_id for h in report.held] == list(range(1, 8))
    text = render_text(report, now=NOW)
    assert "Held until their date: 7" in text
    first = datetime.fromtimestamp(ts("2026-12-02T09:00:00Z")).astimezone().isoformat(timespec="seconds")
    assert f"'Story number 1' at {first} → channels 7, 8" in text
    assert "…and 2 more" in text and "Story number 6" not in text
    field = next(f for f in render_embed(report, now=NOW)["fields"] if f["name"].startswith("Held"))
    assert f"<t:{int(ts('2026-12-02T09:00:00Z'))}:F> → <#7>, <#8>" in field["value"]
    assert "…and 2 more" in field["value"]
    assert status_report(store, now=NOW, embargo=False).held == []


@pytest.mark.parametrize(("raw", "expected"), [(None, True), (True, True), (False, False)])
def test_articles_embargo_is_a_bool_defaulting_to_true(raw: bool | None, expected: bool) -> None:
    assert parse_config({"articles": {"embargo": raw}}).articles.embargo is expected


@pytest.mark.parametrize("raw", ["false", 0, "off"])
def test_articles_embargo_rejects_anything_but_a_bool(raw: object) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"articles": {"embargo": raw}})
    assert "articles.embargo" in str(err.value) and "true or false" in str(err.value)


def test_feed_requests_never_offer_a_held_story(store: Store) -> None:
    apply(store, parsed_file("a.md", 1), parsed_file("b.md", 2, publishedDateTime=SOON))
    newsroom = store.newsroom
    found = newsroom.candidates(7, lambda s: True, since=None, limit=5, until=NOW)
    assert [c.story_id for c in found] == [1]
    assert [c.story_id for c in newsroom.candidates(7, lambda s: True, since=None, limit=5)] == [2, 1]
