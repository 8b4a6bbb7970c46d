"""Database errors leave the store as its own error types, never as a raw driver exception."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from bot.store import Store
from bot.store.errors import StoreError, StoreUnavailable


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    path = tmp_path / "data" / "news.db"
    store = Store.open(f"sqlite:///{path}")

    def short_wait(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # After the store's own pragmas (30 s): a locked database fails at once instead of after half a minute.
        dbapi_conn.execute("PRAGMA busy_timeout=50")

    event.listen(store.engine, "connect", short_wait)
    store.engine.dispose()  # pooled connections were made before the listener
    yield store, path
    store.close()


def assert_own_error(info: pytest.ExceptionInfo[StoreError]) -> None:
    assert isinstance(info.value, StoreUnavailable)
    assert not isinstance(info.value, SQLAlchemyError), "the store's error, not SQLAlchemy's"
    assert "[SQL:" not in str(info.value), "no statement (nor its parameters) in the message"


def test_a_locked_database_gives_store_unavailable(opened: tuple[Store, Path]) -> None:
    store, path = opened
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as info:
            store.set_meta("probe", "1")
        assert_own_error(info)
        assert "locked" in str(info.value)
        with pytest.raises(StoreError) as info:
            store.newsroom.set_alert_channel(1, 2)
        assert_own_error(info)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.set_meta("probe", "1")  # the lock gone, the same store works again
    assert store.get_meta("probe") == "1"


async def test_a_locked_database_gives_store_unavailable_through_the_async_seam(opened: tuple[Store, Path]) -> None:
    store, path = opened
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as info:
            await store.run(store.set_meta, "probe", "1")
        assert_own_error(info)
        with pytest.raises(StoreError) as info:
            await store.run_concurrent(store.channel_guilds.remember, {5: 50})
        assert_own_error(info)
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_vanished_database_gives_store_unavailable(opened: tuple[Store, Path]) -> None:
    store, path = opened
    store.engine.dispose()
    shutil.rmtree(path.parent)
    with pytest.raises(StoreError) as info:
        store.ledger.pending()
    assert_own_error(info)
    with pytest.raises(StoreError) as info:
        await store.run_concurrent(store.counts)
    assert_own_error(info)
    with pytest.raises(StoreError) as info:
        await store.run(store.file_stats)
    assert_own_error(info)
