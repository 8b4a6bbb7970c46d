"""The store on both backends (a SQLite file, a PostgreSQL database): indexing, topics, full text, the
ledger's planning and settling rules."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.routes.planning import make_planner
from bot.search.service import SearchRequest, search_stories
from bot.search.words import fts_match
from bot.store import DeliveryState, FileParsed, FileRemoved, ScanItem, Store
from bot.stories.parser import parse_story_text
from tests.storyfiles import story_text

CHANNELS = [7, 8]


def parsed(path: str, n: int, **fields: object) -> FileParsed:
    story = parse_story_text(story_text(n, **fields), path)
    data = json.dumps(story.to_dict(), sort_keys=True)
    return FileParsed(path, n, 100, f"sha-{path}-{n}-{fields}", story, data, hashlib.sha256(data.encode()).hexdigest())


def apply(store: Store, *items: ScanItem, announce: bool = True, on_unpublish: str = "delete") -> list[tuple[int, int]]:
    return store.apply(
        list(items), make_planner(lambda s: CHANNELS, announce=announce, on_unpublish=on_unpublish)
    ).pending


def test_open_uses_wal_and_creates_the_folder(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db' / 'test.db'}")
    assert (tmp_path / "db" / "test.db").exists()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def test_topics_match_case_insensitively_and_only_published_are_found(store: Store) -> None:
    apply(store, parsed("a.md", 1, topics=["Machine Learning", "AI"]), parsed("b.md", 2, published=False))
    assert [s.title for s in search_stories(store, SearchRequest(topic="machine learning"))] == ["Story number 1"]
    assert [s.title for s in search_stories(store, SearchRequest(topic="ai"))] == ["Story number 1"]
    assert search_stories(store, SearchRequest(topic="Space")) == []


def test_full_text_covers_title_excerpt_provider_topics_but_never_secured(store: Store) -> None:
    apply(store, parsed("a.md", 1, title="Quantum sensors", provider={"name": "Orbital Ledger"}, topics=["Physics"]))
    for query in ("quantum", "orbital", "physics", "excerpt searchable", "sens"):
        assert len(search_stories(store, SearchRequest(query=query))) == 1, query
    assert search_stories(store, SearchRequest(query="U0VDUkVUU0VDUkVU")) == []
    with store.engine.connect() as conn:
        dump = json.dumps([list(r) for r in conn.execute(text("SELECT * FROM stories"))])
    assert "U0VDUkVU" not in dump


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b", "a OR", "*", "title:x", "((", "😀 " * 50, "x" * 500, ""])
def test_hostile_queries_never_raise(store: Store, query: str) -> None:
    apply(store, parsed("a.md", 1))
    assert isinstance(search_stories(store, SearchRequest(query=query)), list)
    match = fts_match(query)
    assert match is None or all(part.startswith('"') for part in match.split(" "))


def test_publish_plans_posts_and_a_rescan_of_the_same_content_plans_nothing(store: Store) -> None:
    item = parsed("a.md", 1)
    assert sorted(ch for _, ch in apply(store, item)) == CHANNELS
    assert apply(store, item) == []
    assert len(store.ledger.pending()) == 2


def test_baseline_indexes_without_planning(store: Store) -> None:
    assert apply(store, parsed("a.md", 1), announce=False) == []
    assert store.ledger.pending() == []
    assert store.counts()["published"] == 1


def test_settle_is_ignored_for_a_replanned_row(store: Store) -> None:
    apply(store, parsed("a.md", 1))
    key = store.ledger.pending()[0]
    stale = store.ledger.read(key)
    assert stale is not None
    apply(store, parsed("a.md", 1, title="Changed while sending"))
    store.ledger.settle(stale, DeliveryState.SENT, message_id=99, payload_hash="old")
    fresh = store.ledger.read(key)
    assert fresh is not None
    assert fresh.state == "post" and fresh.message_id == 99  # still to do: it must be brought up to date


def test_removing_the_only_file_plans_deletion_and_hides_the_story(store: Store) -> None:
    apply(store, parsed("a.md", 1))
    for key in store.ledger.pending():
        d = store.ledger.read(key)
        assert d is not None
        store.ledger.settle(d, DeliveryState.SENT, message_id=key[1] * 10, payload_hash="h")
    pending = apply(store, FileRemoved("a.md"))
    assert sorted(ch for _, ch in pending) == CHANNELS
    assert {store.ledger.read(k).state for k in pending} == {"delete"}  # type: ignore[union-attr]
    assert search_stories(store, SearchRequest()) == []
    with store.engine.connect() as conn:
        present = conn.execute(text("SELECT present FROM stories WHERE key = 'https://news.example/2026/story-1'"))
        assert present.scalar_one() == 0  # kept, but no longer present


def test_keep_mode_cancels_unsent_posts_only(store: Store) -> None:
    apply(store, parsed("a.md", 1))
    first, second = store.ledger.pending()
    d = store.ledger.read(first)
    assert d is not None
    store.ledger.settle(d, DeliveryState.SENT, message_id=5, payload_hash="h")
    assert apply(store, parsed("a.md", 1, published=False), on_unpublish="keep") == []
    assert store.ledger.read(first).state == "sent"  # type: ignore[union-attr]
    assert store.ledger.read(second).state == "cancelled"  # type: ignore[union-attr]


def test_failed_file_keeps_the_story_it_defined(store: Store) -> None:
    from bot.store import FileFailed

    apply(store, parsed("a.md", 1))
    apply(store, FileFailed("a.md", 2, 50, "sha", "a.md: broken YAML"))
    assert store.counts()["stories"] == 1
    assert store.rejected_files() == [("a.md", "a.md: broken YAML")]
    assert store.file_state("a.md").story_key == "https://news.example/2026/story-1"  # type: ignore[union-attr]


async def test_serial_work_runs_in_order_and_side_work_never_waits_behind_it(store: Store) -> None:
    release = threading.Event()
    order: list[str] = []

    def long_scan() -> str:
        release.wait()  # a scan of a large folder, holding the serial thread
        order.append("scan")
        return threading.current_thread().name

    def next_in_line() -> str:
        order.append("ledger")
        return threading.current_thread().name

    scan = asyncio.ensure_future(store.run(long_scan))
    ledger = asyncio.ensure_future(store.run(next_in_line))
    try:
        # A command's query answers while the scan still holds the serial thread: no timing involved.
        counts = await store.run_concurrent(store.counts)
        assert counts["stories"] == 0 and not scan.done() and not ledger.done()
    finally:
        release.set()  # never leave the serial thread blocked, or closing the store would wait forever
    names = await asyncio.gather(scan, ledger)
    assert order == ["scan", "ledger"] and names[0] == names[1] and names[0].startswith("newsdesk-store")


def test_the_job_store_and_searches_stay_inside_the_store(store: Store) -> None:
    jobs = store.job_store()
    assert jobs.engine is store.engine and jobs.jobs_t.name == "apscheduler_jobs"
    apply(store, parsed("a.md", 1, topics=["Physics"]))
    with store.searching() as q:
        assert q.topic_counts() == [("physics", "Physics", 1)]
