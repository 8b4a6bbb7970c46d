"""The way from planning to the other processes: NOTIFY sent inside the planning transaction, payloads that name
the rows, and a pipeline queueing the rows a notification names (its own shards' only)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bot.cluster.locks import libpq_dsn
from bot.cluster.notify import listen, parse, parse_notice
from bot.pipeline import Pipeline
from bot.routes.planning import make_planner, post
from bot.sharding import GuildDirectory, ShardPlan
from bot.store import DeliveryState, Store
from bot.store import notices as notices_module
from bot.store.backends import postgres
from bot.store.notices import KEYS_PER_BATCH, Key, key_payloads, notify_planned
from tests.storyfiles import parsed_file
from tests.unit.test_cluster_store import plan
from tests.unit.test_pipeline import AI_ONLY, NEWS, RecordingSink, make_config

GUILD_SHARD_0 = 2 << 22  # (guild >> 22) % 2 == 0
GUILD_SHARD_1 = 3 << 22


def test_key_payloads_round_trip_and_big_batches_name_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices_module, "MAX_PAYLOAD", 500)
    keys = [(i, 10**17 + i % 3) for i in range(1, KEYS_PER_BATCH)]
    parts = list(key_payloads(keys + keys[:3]))
    assert len(parts) > 1 and all(len(p) <= 500 for p in parts)
    notices = [parse_notice(p) for p in parts]
    assert sorted(k for ks, _ in notices for k in ks) == keys and not any(cs for _, cs in notices)
    big = [(i, 7 + i % 2) for i in range(KEYS_PER_BATCH + 1)]
    assert [parse_notice(p) for p in key_payloads(big)] == [([], [7, 8])]
    assert list(key_payloads([])) == []


def test_parse_notice_skips_malformed_items() -> None:
    assert parse_notice("1:7,8,x:9,:3,5:,garbage, 2:9") == ([(1, 7), (2, 9)], [8])
    assert parse("1:7,8,2:7") == [7, 8]


def test_planning_hands_its_rows_to_on_planned_inside_its_transaction(store: Store) -> None:
    seen: list[list[Key]] = []
    store.on_planned = lambda conn, keys: seen.append(list(keys))
    assert store.announces_plans
    plan(store, 1)
    assert seen == [[(1, 7), (1, 8)]]
    store.ledger.record([post(1, [9])])
    assert seen[-1] == [(1, 9)]

    def fail(conn: object, keys: list[Key]) -> None:
        raise RuntimeError("notify failed")

    # The hook's failure undoes the planning: it ran inside the planning transaction.
    store.on_planned = fail
    with pytest.raises(RuntimeError):
        plan(store, 2)
    assert store.counts()["stories"] == 1 and store.counts()["pending"] == 3


async def _listening(dsn: str) -> tuple[asyncio.Task[None], asyncio.Queue[tuple[list[Key], list[int]]]]:
    heard: asyncio.Queue[tuple[list[Key], list[int]]] = asyncio.Queue()

    async def on_notice(keys: list[Key], channels: list[int]) -> None:
        await heard.put((keys, channels))

    listener = asyncio.create_task(listen(dsn, on_notice))
    return listener, heard


async def test_notify_planned_reaches_listeners_on_commit_with_the_rows_of_other_processes(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    listener, heard = await _listening(libpq_dsn(store.engine.url))
    try:
        # The LISTEN is in place once a notification sent after it arrives: send until one does.
        for _ in range(50):
            await store.run_concurrent(store.cluster.notify, [1])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.get(), timeout=0.2)
                break
        else:
            pytest.fail("no notification reached the listener")
        while not heard.empty():
            heard.get_nowait()
        # Rolled back: never delivered. Then a planning whose channel 8 is this process's own: only 7 is named.
        with store.engine.connect() as conn:
            notify_planned(conn, [(99, 7)])
            conn.rollback()
        store.on_planned = functools.partial(notify_planned, ours=lambda channel: channel == 8)
        await asyncio.to_thread(plan, store, 1)
        assert await asyncio.wait_for(heard.get(), timeout=10) == ([(1, 7)], [])
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def test_a_pipeline_queues_the_notified_rows_of_its_own_shards_only(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    config = make_config(folder, tmp_path / "newsdesk.db", backfill="none")
    store = Store.open(config.storage_url)
    guilds = GuildDirectory({NEWS: GUILD_SHARD_0, AI_ONLY: GUILD_SHARD_1})
    pipeline = Pipeline(config, store, shards=ShardPlan(2, (0,), sharded=True), guilds=guilds)
    sink = RecordingSink()
    await pipeline.start(sink, watch=False)
    try:
        # Planned by "another process": nothing in this pipeline queued them.
        planner = make_planner(lambda s: [NEWS, AI_ONLY], announce=True, on_unpublish="delete")
        store.apply([parsed_file("a.md", 1), parsed_file("b.md", 2)], planner)
        await pipeline.notified([(1, NEWS), (1, AI_ONLY)], [])
        await pipeline.drain()
        assert sink.count("post") == 1 and sink.titles(NEWS) != []
        # A notice naming channels: their pending rows are looked up, again only this process's channels.
        await pipeline.notified([], [NEWS, AI_ONLY])
        await pipeline.drain()
        assert sink.count("post") == 2
        ai = store.ledger.read((1, AI_ONLY))
        assert ai is not None and ai.state == DeliveryState.POST  # left to shard 1's process
    finally:
        await pipeline.stop()
        store.close()


def test_a_pooled_connection_the_server_dropped_is_replaced(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connection pool")
    monkeypatch.setattr(postgres, "PING_IDLE_SECONDS", 0.0)  # every checkout counts as idle: pinged
    assert store.counts()["stories"] == 0
    with psycopg.connect(libpq_dsn(store.engine.url), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert store.counts()["stories"] == 0
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
