"""Claimed sends and adoption through a real send queue on a real SQLite ledger, and NOTIFY payloads."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from bot.cluster.adopt import Adopter
from bot.cluster.claims import Claims
from bot.cluster.locks import libpq_dsn
from bot.cluster.notify import listen, parse
from bot.send.queue import ChannelQueue
from bot.store import DeliveryState, Store
from bot.store.notices import MAX_PAYLOAD, payloads
from tests.unit.test_cluster_store import claimed_by, member, plan
from tests.unit.test_pipeline import RecordingSink


class History:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.reads = 0

    async def recent_messages(self, channel_id: int, limit: int = 50) -> list[dict[str, Any]]:
        self.reads += 1
        return self.messages[:limit]


async def run_queue(store: Store, sink: RecordingSink, claims: Claims, finder: Adopter | None = None) -> None:
    queue = ChannelQueue(
        7, store=store, db=store.run, sink=sink, roles_for=lambda c, s: [], claims=claims, finder=finder
    )
    queue.start()
    queue.put(1)
    await queue.join()
    await queue.stop()


async def test_a_row_claimed_by_a_live_member_is_left_to_it(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("other", at=now))
    cluster.beat(member("me", at=now))
    assert cluster.claim_key("other", (1, 7), now=now) is not None
    sink = RecordingSink()
    await run_queue(store, sink, Claims(cluster, "me", store.run))
    assert sink.count("post") == 0
    assert store.ledger.read((1, 7)).state == DeliveryState.POST  # type: ignore[union-attr]
    cluster.release("other", [(1, 7)])
    await run_queue(store, sink, Claims(cluster, "me", store.run))
    assert sink.count("post") == 1
    assert store.ledger.read((1, 7)).state == DeliveryState.SENT  # type: ignore[union-attr]
    assert cluster.claim_key("other", (1, 7), now=now) is None  # settled: nothing to claim


async def test_a_row_in_flight_at_a_crash_is_adopted_from_the_channel_history(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    # The previous run (SQLite: the lock file says it is dead) claimed the row and died mid-send.
    assert cluster.claim_key("previous-run", (1, 7)) is not None
    link = store.ledger.read((1, 7)).story.web_url  # type: ignore[union-attr]
    history = History([{"id": "555", "author": {"id": "9"}, "embeds": [{"url": link}], "content": ""}])
    sink = RecordingSink()
    await run_queue(store, sink, Claims(cluster, "me", store.run, exclusive=True), Adopter(history, lambda: 9))
    assert history.reads == 1
    assert sink.count("post") == 0, "adopted, not posted again"
    row = store.ledger.read((1, 7))
    assert row is not None and row.state == DeliveryState.SENT and row.message_id == 555


async def test_an_in_flight_row_not_in_the_history_is_posted(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    assert cluster.claim_key("previous-run", (1, 7)) is not None
    history = History([{"id": "555", "author": {"id": "9"}, "embeds": [{"url": "https://elsewhere.example/x"}]}])
    sink = RecordingSink()
    await run_queue(store, sink, Claims(cluster, "me", store.run, exclusive=True), Adopter(history, lambda: 9))
    assert history.reads == 1 and sink.count("post") == 1


async def test_a_fresh_row_does_not_read_the_history(store: Store) -> None:
    plan(store, 1)
    history = History([])
    sink = RecordingSink()
    claims = Claims(store.cluster, "me", store.run, exclusive=True)
    await run_queue(store, sink, claims, Adopter(history, lambda: 9))
    assert history.reads == 0 and sink.count("post") == 1


def test_notify_payloads_stay_under_the_limit_and_round_trip() -> None:
    ids = list(range(10**17, 10**17 + 2000))
    parts = list(payloads(ids + ids[:5]))
    assert len(parts) > 1 and all(len(p) <= MAX_PAYLOAD for p in parts)
    assert [c for p in parts for c in parse(p)] == ids
    assert list(payloads([])) == []


async def test_a_notify_after_commit_reaches_a_listener(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    heard: asyncio.Queue[list[int]] = asyncio.Queue()

    async def on_channels(keys: list[tuple[int, int]], ids: list[int]) -> None:
        await heard.put(ids)

    listener = asyncio.create_task(listen(libpq_dsn(store.engine.url), on_channels))
    try:
        # The LISTEN is in place once a notification sent after it arrives: send until one does.
        for _ in range(50):
            store.cluster.notify([7, 8])
            with contextlib.suppress(TimeoutError):
                assert await asyncio.wait_for(heard.get(), timeout=0.2) == [7, 8]
                break
        else:
            pytest.fail("no notification reached the listener")
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def test_a_sent_row_is_settled_and_released_and_a_held_one_released(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    cluster.beat(member("me", at=time.time()))
    sink = RecordingSink()
    await run_queue(store, sink, Claims(cluster, "me", store.run))
    assert sink.count("post") == 1 and claimed_by(store, (1, 7)) is None
    # A row the queue leaves pending (an unknown channel kind would be another case) is released all the same.
    plan(store, 2)
    held = ChannelQueue(
        7,
        store=store,
        db=store.run,
        sink=sink,
        roles_for=lambda c, s: [],
        claims=Claims(cluster, "me", store.run),
        embargo=True,
        clock=lambda: 0.0,
    )
    held.start()
    held.put(2)
    await held.join()
    await held.stop()
    assert sink.count("post") == 1 and claimed_by(store, (2, 7)) is None
    assert store.ledger.read((2, 7)).state == DeliveryState.POST  # type: ignore[union-attr]
