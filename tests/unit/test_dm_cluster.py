"""The DM sender in a cluster: two processes (two stores on one PostgreSQL database, each with its own sender and
member id) serve the same due rows, and one takes over what a dead one had claimed. Each member gets one DM."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator

import pytest

from bot.personal.dm_queue import DmSender
from bot.store import Store
from bot.store.personal_tables import DmState
from tests.personal_rows import dm_rows, follow_row, insert_rows
from tests.storyfiles import parsed_file
from tests.unit.test_cluster_store import member
from tests.unit.test_dm_sender import DAY, PLANNER, Clock, Port

MEMBERS = 200
pytestmark = pytest.mark.parametrize("store_url", ["postgres"], indirect=True)


class SlowPort(Port):
    """Yields to the event loop on every call, as a real HTTP round trip does, so the two senders interleave."""

    async def open_dm(self, user_id: int) -> int:
        await asyncio.sleep(0)
        return await super().open_dm(user_id)

    async def post_dm(self, channel_id: int, payload: dict[str, object], *, nonce: str) -> int:
        await asyncio.sleep(0.001)
        return await super().post_dm(channel_id, payload, nonce=nonce)


class InterruptingPort(SlowPort):
    """Its first post runs ``meanwhile`` (another process's pass) first, and holds every other post until that is
    over: the other process runs while this one has claimed rows and not settled them."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], Awaitable[object]] | None = None
        self._over = asyncio.Event()
        self._over.set()

    def arm(self, meanwhile: Callable[[], Awaitable[object]]) -> None:
        self.meanwhile = meanwhile
        self._over.clear()

    async def post_dm(self, channel_id: int, payload: dict[str, object], *, nonce: str) -> int:
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
            self._over.set()
        await self._over.wait()
        return await super().post_dm(channel_id, payload, nonce=nonce)


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[Store, Store]]:
    """Two processes' stores on one database (each its own engine and threads)."""
    a, b = Store.open(store_url), Store.open(store_url)
    a.plans_dms = True
    yield a, b
    a.close()
    b.close()


def sender(store: Store, port: Port, member_id: str, clock: Clock | None = None, cap: int = 20) -> DmSender:
    return DmSender(
        store,
        port,
        member_id=member_id,
        exclusive=False,
        default_cap=cap,
        default_timezone="UTC",
        clock=clock or time.time,
    )


def one_story_for_every_member(store: Store) -> None:
    insert_rows(store.engine, follow=[follow_row(user, "AI") for user in range(1, MEMBERS + 1)])
    store.apply([parsed_file("1.md", 1)], PLANNER)
    assert len(dm_rows(store.engine)) == MEMBERS


def posts_per_member(*ports: Port) -> Counter[int]:
    return Counter(channel - 5000 for port in ports for channel, _, _ in port.posts)


async def test_two_live_senders_send_each_member_one_dm(stores: tuple[Store, Store]) -> None:
    a, b = stores
    one_story_for_every_member(a)
    now = time.time()
    a.cluster.beat(member("a", at=now))
    b.cluster.beat(member("b", at=now))
    port_a, port_b = SlowPort(), SlowPort()
    senders = [sender(a, port_a, "a"), sender(b, port_b, "b")]
    for _ in range(3):  # later passes find nothing left to send
        await asyncio.gather(*(s.run_once() for s in senders))
    assert posts_per_member(port_a, port_b) == Counter(range(1, MEMBERS + 1))
    assert port_a.posts and port_b.posts, "both processes took a share"
    rows = dm_rows(a.engine)
    assert {(r["state"], r["claimed_by"]) for r in rows} == {(DmState.SENT, None)}
    assert all(r["message_id"] is not None for r in rows)


async def test_a_dead_senders_claims_are_taken_over_and_sent_once(stores: tuple[Store, Store]) -> None:
    a, b = stores
    one_story_for_every_member(a)
    now = time.time()
    a.cluster.beat(member("dead", at=now - 60))  # its last heartbeat is three 5 s beats old and more
    b.cluster.beat(member("b", at=now))
    for user in range(1, MEMBERS // 2 + 1):  # it had claimed half the members' rows, then died before sending
        assert a.dm_ledger.claim("dead", user, now, state=DmState.POST, exclusive=False)
    assert sum(r["claimed_by"] == "dead" for r in dm_rows(a.engine)) == MEMBERS // 2
    port = SlowPort()
    survivor = sender(b, port, "b")
    await survivor.run_once()
    await survivor.run_once()
    assert posts_per_member(port) == Counter(range(1, MEMBERS + 1))
    assert {(r["state"], r["claimed_by"]) for r in dm_rows(b.engine)} == {(DmState.SENT, None)}


async def test_a_live_senders_claims_are_left_to_it(stores: tuple[Store, Store]) -> None:
    a, b = stores
    one_story_for_every_member(a)
    now = time.time()
    a.cluster.beat(member("a", at=now))
    b.cluster.beat(member("b", at=now))
    for user in range(1, 11):  # "a" is at work on ten members
        assert a.dm_ledger.claim("a", user, now, state=DmState.POST, exclusive=False)
    port = SlowPort()
    await sender(b, port, "b").run_once()
    assert posts_per_member(port) == Counter(range(11, MEMBERS + 1))
    assert {r["user_id"] for r in dm_rows(b.engine) if r["state"] == DmState.POST} == set(range(1, 11))


async def test_two_live_senders_tell_a_capped_member_once(stores: tuple[Store, Store]) -> None:
    a, b = stores
    clock = Clock()
    clock.now = time.time() // DAY * DAY + 12 * 3600  # noon UTC today
    insert_rows(a.engine, follow=[follow_row(user, "AI") for user in range(1, 21)])
    port_a, port_b = InterruptingPort(), SlowPort()
    senders = [sender(a, port_a, "a", clock, cap=1), sender(b, port_b, "b", clock, cap=1)]
    for n in (1, 2, 3):
        a.apply([parsed_file(f"{n}.md", n)], PLANNER)
        a.cluster.beat(member("a", at=clock.now))
        await senders[0].run_once()
    assert Counter(r["state"] for r in dm_rows(a.engine)) == {DmState.SENT: 20, DmState.CAPPED: 40}
    clock.now += 13 * 3600  # 01:00 the next day: the "2 more stories" line is due
    a.cluster.beat(member("a", at=clock.now))
    b.cluster.beat(member("b", at=clock.now))
    # While "a" posts its first line, "b" runs a whole pass: the worst interleaving, every time.
    port_a.arm(senders[1].run_once)
    await senders[0].run_once()
    for _ in range(2):
        await asyncio.gather(*(s.run_once() for s in senders))
    told = [(channel, payload) for channel, payload, _ in [*port_a.posts[20:], *port_b.posts]]
    assert port_b.posts, "the second process told the members the first had not claimed"
    assert Counter(channel - 5000 for channel, _ in told) == Counter(range(1, 21))
    assert all(payload["content"].startswith("2 more stories") for _, payload in told)
    assert all(r["message_id"] is not None and r["claimed_by"] is None for r in dm_rows(a.engine))
