"""The autocomplete catalog is kept by deltas (``bot/search/catalog.py``), on both backends: after any sequence of
adds, edits, unpublishes, renames and removals its counts equal a recount from the stories."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from bot.routes.planning import make_planner
from bot.search.service import SearchService
from bot.store import FileRemoved, ScanItem, Store
from tests.storyfiles import parsed_file
from tests.unit.test_migrations import legacy_database

TOPICS = ["AI", "ai", "Space", "Climate", "Machine Learning", "Robotics", "Ünïcode"]
PROVIDERS = ["Orbital Ledger", "orbital ledger", "Wire Desk", ""]
NOW = datetime(2026, 11, 20, tzinfo=UTC).timestamp()


def apply(store: Store, *items: ScanItem) -> None:
    store.apply(list(items), make_planner(lambda s: [7], announce=True, on_unpublish="delete"))


def recount(store: Store, until: float | None) -> tuple[dict[str, int], dict[str, int]]:
    with store.searching() as q:
        topics = {norm: n for norm, _spelling, n in q.topic_counts(until)}
        providers = dict(q.provider_counts(until))
    return topics, providers


def kept(store: Store, until: float | None) -> tuple[dict[str, int], dict[str, int]]:
    with store.searching() as q:
        rows = q.catalog_rows(until)
    return {norm: n for norm, _spelling, n in rows.topics}, dict(rows.providers)


def random_item(rng: random.Random, live: dict[str, int]) -> ScanItem:
    roll = rng.random()
    if live and roll < 0.15:
        path = rng.choice(sorted(live))
        del live[path]
        return FileRemoved(path)
    path = f"{rng.randrange(40)}.md"
    # Sometimes a story moves to another path (its old file stays: two files, one story), else a path's story.
    n = live.pop(rng.choice(sorted(live))) if live and roll < 0.25 else live.get(path, rng.randrange(60))
    live[path] = n
    provider = rng.choice(PROVIDERS)
    return parsed_file(
        path,
        n,
        topics=rng.sample(TOPICS[1:] if rng.random() < 0.5 else TOPICS[:1] + TOPICS[2:], rng.randrange(4)),
        provider={"name": provider, "domain": "x.example"} if provider else None,
        published=rng.random() < 0.7,
        publishedDateTime=f"2026-11-{rng.randrange(1, 29):02d}T10:00:00Z",
    )


def test_counts_kept_by_deltas_equal_a_recount(store: Store) -> None:
    rng = random.Random(10)
    live: dict[str, int] = {}
    for step in range(60):
        batch = [random_item(rng, live) for _ in range(rng.randrange(1, 6))]
        apply(store, *batch)
        if step % 10 == 9:
            for until in (None, NOW):
                assert kept(store, until) == recount(store, until), step
    assert kept(store, None)[0], "the sequence published something"


def test_the_service_sees_changes_through_the_version(store: Store) -> None:
    service = SearchService(store, refresh_every=0, embargo=False)
    apply(store, parsed_file("a.md", 1, topics=["Physics"]))
    assert service.topic_suggestions("") == [("Physics", 1)]
    apply(store, parsed_file("b.md", 2, topics=["physics", "Space"], provider={"name": "Wire", "domain": "w.x"}))
    assert service.refresh() is True
    assert service.topic_suggestions("") == [("Physics", 2), ("Space", 1)]
    assert service.provider_suggestions("wi") == [("Wire", 1)]
    apply(store, parsed_file("a.md", 1, topics=["Physics"], excerpt="Only the words changed."))
    assert service.refresh() is False  # no count changed: nothing to read again
    apply(store, parsed_file("b.md", 2, published=False), FileRemoved("a.md"))
    assert service.refresh() is True
    assert service.topic_suggestions("") == []


def test_another_process_writes_are_seen(store_url: str) -> None:
    # Two stores on one database stand for two processes: one indexes, the other serves /news.
    writer, reader = Store.open(store_url), Store.open(store_url)
    try:
        service = SearchService(reader, refresh_every=0, embargo=False)
        assert service.topic_suggestions("") == []
        apply(writer, parsed_file("a.md", 1, topics=["Physics"]))
        assert service.refresh() is True
        assert service.topic_suggestions("") == [("Physics", 1)]
    finally:
        writer.close()
        reader.close()


def test_migration_counts_an_existing_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    legacy_database(path)  # a 0.1 database: one published story, topics AI and Space, no catalog table
    store = Store.open(f"sqlite:///{path}")
    try:
        assert kept(store, None) == recount(store, None) == ({"ai": 1, "space": 1}, {"Example News": 1})
    finally:
        store.close()
