"""Cluster SQL on both backends: members and their liveness, claims that never overlap, a dead member's claims."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from bot.routes.planning import make_planner
from bot.store import DeliveryState, Store
from bot.store.cluster import Member
from bot.store.schema import deliveries
from tests.storyfiles import parsed_file

CHANNELS = [7, 8]


def member(member_id: str, *, at: float, shards: tuple[int, ...] = (0,), every: float = 5.0) -> Member:
    return Member(member_id, "host-a", 100, 1, shards, shards, True, False, at - 60, at, every)


def plan(store: Store, *numbers: int) -> None:
    planner = make_planner(lambda s: CHANNELS, announce=True, on_unpublish="delete")
    store.apply([parsed_file(f"s{n}.md", n) for n in numbers], planner)


def test_members_are_live_while_their_heartbeat_is_fresh(store: Store) -> None:
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("a", at=now))
    cluster.beat(member("b", at=now - 16))  # three 5 s heartbeats missed: dead
    assert [m.member_id for m in cluster.members(now)] == ["a"]
    assert {m.member_id for m in cluster.members(now, live_only=False)} == {"a", "b"}
    cluster.beat(member("b", at=now, shards=(1, 2)))  # refreshed in place
    [b] = [m for m in cluster.members(now) if m.member_id == "b"]
    assert b.shards_held == (1, 2) and b.ingest
    cluster.leave("a")
    assert [m.member_id for m in cluster.members(now)] == ["b"]


def test_two_members_never_claim_the_same_row(store: Store) -> None:
    plan(store, 1, 2, 3)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("a", at=now))
    cluster.beat(member("b", at=now))
    first = cluster.claim("a", CHANNELS, limit=4, now=now)
    second = cluster.claim("b", CHANNELS, limit=10, now=now)
    assert len(first) == 4 and len(second) == 2
    assert not {c.key for c in first} & {c.key for c in second}
    assert not any(c.was_in_flight for c in first + second)
    assert cluster.claim("b", CHANNELS, now=now) == [c for c in second]  # its own claims, nothing of a's
    cluster.release("a", [first[0].key])
    assert [c.key for c in cluster.claim("b", CHANNELS, now=now) if c.key == first[0].key] == [first[0].key]


async def test_concurrent_claimers_split_the_rows(store: Store) -> None:
    plan(store, *range(1, 21))
    cluster = store.cluster
    now = time.time()
    for name in "abcd":
        cluster.beat(member(name, at=now))
    results = await asyncio.gather(
        *(store.run_concurrent(cluster.claim, name, CHANNELS, limit=40, now=now) for name in "abcd")
    )
    keys = [c.key for claims in results for c in claims]
    assert len(keys) == len(set(keys)) == 40


def test_a_dead_members_claim_is_reclaimable_and_marked_in_flight(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("dead", at=now))
    taken = cluster.claim("dead", [7], now=now)
    assert [c.key for c in taken] == [(1, 7)]
    cluster.beat(member("alive", at=now + 30))
    # "dead" stopped beating 30 s ago (> 3 x 5 s): its row is taken over, flagged as possibly posted already.
    [again] = cluster.claim("alive", [7], now=now + 30)
    assert again.key == (1, 7) and again.was_in_flight
    # While "dead" was alive, nobody else could have it.
    plan(store, 2)
    cluster.beat(member("dead", at=now + 30))
    cluster.claim("dead", [8], now=now + 30)
    assert all(c.channel_id == 7 for c in cluster.claim("alive", CHANNELS, now=now + 30))


def test_a_member_whose_role_another_now_holds_is_gone_at_once(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("old", at=now, shards=(0,)))
    cluster.beat(Member("other", "host-a", 101, 2, (1,), (1,), False, False, now - 60, now, 5.0))
    cluster.claim("old", [7], now=now)
    # "new" took shard 0's lock (and ingest): "old", whose row still says it holds both, died moments ago.
    new = member("new", at=now + 1, shards=(0,))
    cluster.beat(new)
    assert cluster.expire_superseded(new) == ["old"]
    assert {m.member_id for m in cluster.members(now + 1)} == {"other", "new"}
    [again] = cluster.claim("new", [7], now=now + 1)
    assert again.key == (1, 7) and again.was_in_flight
    ingest_only = Member("solo", "host-b", 7, 1, (), (), False, False, now, now + 1, 5.0)
    cluster.beat(ingest_only)
    assert cluster.expire_superseded(ingest_only) == []  # holds nothing "new" or "other" holds


def test_queue_depth_counts_pending_rows_per_channel(store: Store) -> None:
    plan(store, 1, 2)
    cluster = store.cluster
    assert cluster.pending_by_channel() == {7: 2, 8: 2}
    d = store.ledger.read((1, 7))
    assert d is not None
    store.ledger.settle(d, DeliveryState.SENT, message_id=99)
    assert cluster.pending_by_channel() == {7: 1, 8: 2}


def test_claim_delivery_returns_the_row_it_claimed_with_its_story(store: Store) -> None:
    plan(store, 1, 2)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("a", at=now))
    cluster.beat(member("b", at=now))
    got = cluster.claim_delivery("a", (1, 7), now=now)
    assert got is not None and got.key == (1, 7) and not got.was_in_flight
    assert got.delivery == store.ledger.read((1, 7))  # the same row and story a separate read gives
    assert cluster.claim_delivery("b", (1, 7), now=now) is None  # a live member is sending it
    assert cluster.claim_delivery("a", (1, 7), now=now) is not None  # its own claim, again
    cluster.release("a", [(1, 7)])
    assert cluster.claim_delivery("b", (1, 7), now=now) is not None
    # A dead member's claim is taken over and flagged in flight; a settled row is never claimed.
    assert cluster.claim_delivery("b", (2, 7), now=now) is not None
    cluster.beat(member("a", at=now + 30))
    late = cluster.claim_delivery("a", (2, 7), now=now + 30)
    assert late is not None and late.was_in_flight and late.delivery is not None
    store.ledger.settle(late.delivery, DeliveryState.SENT, message_id=5)
    assert cluster.claim_delivery("a", (2, 7), now=now + 30) is None
    assert cluster.claim_delivery("a", (404, 7), now=now) is None


def test_claim_delivery_exclusive_takes_any_claim(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("previous-run", at=now))
    assert cluster.claim_delivery("previous-run", (1, 7), now=now) is not None
    got = cluster.claim_delivery("me", (1, 7), exclusive=True, now=now)
    assert got is not None and got.was_in_flight and got.delivery is not None


def test_release_frees_only_the_members_own_claims(store: Store) -> None:
    plan(store, 1, 2)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("a", at=now))
    cluster.beat(member("b", at=now))
    assert cluster.claim_delivery("a", (1, 7), now=now) and cluster.claim_delivery("a", (2, 7), now=now)
    assert cluster.claim_delivery("b", (1, 8), now=now)
    cluster.release("a", [(1, 7), (2, 7), (1, 8)])
    assert cluster.claim_delivery("b", (1, 7), now=now) and cluster.claim_delivery("b", (2, 7), now=now)
    assert cluster.claim_delivery("a", (1, 8), now=now) is None  # still b's
    cluster.release("a", [])


def claimed_by(store: Store, key: tuple[int, int]) -> str | None:
    d = deliveries.c
    with store.engine.connect() as conn:
        return conn.scalar(select(d.claimed_by).where(d.story_id == key[0], d.channel_id == key[1]))


def test_settling_with_releasing_frees_only_the_members_own_claim(store: Store) -> None:
    plan(store, 1)
    cluster = store.cluster
    now = time.time()
    cluster.beat(member("a", at=now))
    cluster.beat(member("b", at=now))
    mine = cluster.claim_delivery("a", (1, 7), now=now)
    theirs = cluster.claim_delivery("b", (1, 8), now=now)
    assert mine is not None and mine.delivery is not None and theirs is not None and theirs.delivery is not None
    store.ledger.settle(mine.delivery, DeliveryState.SENT, message_id=1, **cluster.releasing("a"))
    store.ledger.settle(theirs.delivery, DeliveryState.SENT, message_id=2, **cluster.releasing("a"))
    assert claimed_by(store, (1, 7)) is None
    assert claimed_by(store, (1, 8)) == "b"
    assert store.ledger.read((1, 8)).state == DeliveryState.SENT  # type: ignore[union-attr]
