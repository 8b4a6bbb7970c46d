"""How ``Store.apply`` plans the common case, one new file, in few statements (each is a round trip on
PostgreSQL), and that the short path still treats a story it already has as existing. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from bot.store import DeliveryState, Store
from bot.store.schema import deliveries, stories
from tests.unit.test_store import CHANNELS, apply, parsed


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements the store sends while the block runs (one entry per execute or executemany)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_one_new_file_is_planned_without_reading_what_cannot_exist_yet(store: Store) -> None:
    apply(store, parsed("old.md", 1))
    with statements(store) as seen:
        pending = apply(store, parsed("new.md", 2, topics=["World", "Tech"]))
    new_id = pending[0][0]
    assert pending == [(new_id, channel) for channel in CHANNELS]
    # The story comes back from its INSERT (no lock-read before, no id read after), and a story created in this
    # transaction has no ledger rows to read: the one read is of the file's previous story (on PostgreSQL in the
    # same statement as the file's upsert).
    # (PostgreSQL's word counts are an upsert that starts WITH the new story's words: a write, counted below.)
    reads = [s for s in seen if s.upper().startswith(("SELECT", "WITH")) and "INSERT INTO search_lexemes" not in s]
    assert len(reads) == 1 and "FROM files" in reads[0], reads
    # (read) files, stories, topics, full text, its word list (SQLite: bm25's word counts; PostgreSQL: the words
    # that word starts expand to, with their counts), catalog counts, deliveries
    assert len(seen) <= (7 if store.backend.writes_in_with else 8), seen


def test_a_new_file_for_a_story_already_indexed_edits_it_rather_than_adding_one(store: Store) -> None:
    [(story_id, _), _] = apply(store, parsed("a.md", 1, title="First"))
    with store.engine.begin() as conn:
        conn.execute(deliveries.update().values(state=DeliveryState.SENT, message_id=99))
    # Another path, same story (its key comes from the story's link): the insert finds the key taken.
    pending = apply(store, parsed("b.md", 1, title="First, corrected"))
    assert pending == [(story_id, channel) for channel in CHANNELS]
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(stories)) == 1
        assert conn.scalar(select(stories.c.title)) == "First, corrected"
        states = conn.execute(select(deliveries.c.state, deliveries.c.message_id)).all()
    assert sorted(states) == [(DeliveryState.EDIT, 99), (DeliveryState.EDIT, 99)]


def test_a_batch_of_new_and_known_stories_plans_each_once(store: Store) -> None:
    [(known_id, _), _] = apply(store, parsed("a.md", 1))
    pending = apply(store, parsed("a.md", 1, title="Edited"), parsed("b.md", 2), parsed("c.md", 3))
    with store.engine.connect() as conn:
        ids: dict[str, int] = {r.path: r.id for r in conn.execute(select(stories.c.path, stories.c.id))}
        rows = conn.execute(select(deliveries.c.story_id, deliveries.c.channel_id, deliveries.c.state)).all()
    assert ids["a.md"] == known_id and len(ids) == 3
    assert sorted(pending) == sorted((ids[p], c) for p in ("a.md", "b.md", "c.md") for c in CHANNELS)
    assert len(rows) == 3 * len(CHANNELS)
