"""The signal counter under load (what bench/bench_signal.py found): counting goes on while a write is slow, and
with no discord.py message cache a deleted message the bot wrote is still no member's reply."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from bot.app import open_core, sync_bot
from bot.config import parse_config
from bot.store import Store
from tests.fakediscord.control import PATIENCE
from tests.unit.test_signal_counts import BOT, CHANNEL, MEMBER, MESSAGE, OTHER, THREAD, counter_for, posted


async def eventually(check: Callable[[], bool]) -> bool:
    """Whether ``check`` holds within ``PATIENCE`` (looked at every 10 ms, so a passing test does not wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not check():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_counting_goes_on_while_a_write_waits_for_the_database(sqlite_store: Store, tmp_path: Path) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store, flush_size=10, flush_seconds=60)
    running = asyncio.create_task(counter.run())
    # Another connection holds SQLite's write lock: the first batch's write waits for it (busy_timeout).
    with closing(sqlite3.connect(tmp_path / "scan.db", isolation_level=None)) as blocker:
        blocker.execute("BEGIN IMMEDIATE")
        for user in range(10):
            counter.reaction(message_id=MESSAGE, user_id=user, emoji="👍", burst=False, added=True)
        assert await eventually(lambda: counter.stats.events == 10)
        for user in range(10, 60):
            counter.reaction(message_id=MESSAGE, user_id=user, emoji="👍", burst=False, added=True)
        # Taken while the first write still waits: a slow write makes the next batch larger, not the counting slower.
        assert await eventually(lambda: counter.stats.events == 60), counter.stats
        assert counter.stats.written == 0
        blocker.execute("ROLLBACK")
    await counter.settle()
    row = sqlite_store.signals.row(1, CHANNEL)
    assert row is not None and row.reactions == 60
    assert counter.stats.written == 2  # the first batch, then the 50 taken meanwhile as one row
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await counter.close()


async def test_a_deleted_message_the_bot_wrote_is_no_reply_without_a_message_cache(sqlite_store: Store) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store)
    counter.message_created(channel_id=THREAD, message_id=3001, author_id=MEMBER, webhook=False)
    counter.message_created(channel_id=THREAD, message_id=3002, author_id=OTHER, webhook=False)
    counter.message_created(channel_id=THREAD, message_id=3003, author_id=BOT, webhook=False)  # the bot's opener
    counter.message_created(channel_id=THREAD, message_id=3004, author_id=77, webhook=True)
    # Deletions arrive with ids only (author None): the opener's and the webhook's are known, 3002 was a member's.
    for message_id in (3003, 3004, 3002):
        counter.message_deleted(channel_id=THREAD, message_id=message_id, author_id=None, webhook=False)
    await counter.close()
    row = sqlite_store.signals.row(1, CHANNEL)
    assert row is not None and row.replies == 1


async def test_the_bot_keeps_no_message_cache(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    config = {"articles": {"path": str(tmp_path / "articles")}, "storage": {"url": f"sqlite:///{tmp_path / 'n.db'}"}}
    core = await open_core(parse_config(config), discord=False)
    try:
        bot = sync_bot(core.config, core.store)
        # discord.py scans its message cache whole on every reaction and deletion event.
        assert bot._connection.max_messages is None and list(bot.cached_messages) == []
        await bot.close()
    finally:
        core.store.close()


async def test_a_failed_write_goes_back_and_the_next_waits_an_interval(
    sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store, flush_size=5, flush_seconds=60)
    running = asyncio.create_task(counter.run())
    with closing(sqlite3.connect(tmp_path / "scan.db", isolation_level=None)) as db:
        db.execute("ALTER TABLE signal_counts RENAME TO signal_counts_away")  # every write fails meanwhile
        for user in range(5):
            counter.reaction(message_id=MESSAGE, user_id=user, emoji="👍", burst=False, added=True)
        assert await eventually(lambda: "signal deltas failed" in caplog.text and not counter._writing)
        for user in range(5, 15):  # two batches' worth: no write is tried again before the interval is over
            counter.reaction(message_id=MESSAGE, user_id=user, emoji="👍", burst=False, added=True)
        assert await eventually(lambda: counter.stats.events == 15)
        assert caplog.text.count("signal deltas failed") == 1 and counter.stats.written == 0
        db.execute("ALTER TABLE signal_counts_away RENAME TO signal_counts")
    await counter.settle()  # a reconcile's or a shutdown's write does not wait
    row = sqlite_store.signals.row(1, CHANNEL)
    assert row is not None and row.reactions == 15
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await counter.close()
