"""The global rate limit shared by the cluster: each live member's share, and the bucket that paces it."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import aiohttp
import discord
import pytest
import yarl
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import counts_globally
from bot.cluster.fairshare import (
    GLOBAL_LIMIT,
    LOW_SHARE,
    TokenBucket,
    fair_burst,
    fair_share,
    joining_share,
    member_share,
    pace_session,
    prepaid,
)
from bot.cluster.locks import Role
from bot.cluster.membership import Membership
from bot.sharding import make_plan
from bot.store import Store


@pytest.mark.parametrize("members", [1, 2, 3, 7])
def test_the_shares_of_the_live_members_add_up_to_less_than_the_global_limit(members: int) -> None:
    share = fair_share(members)
    assert share * members < GLOBAL_LIMIT
    assert share * members >= 0.8 * GLOBAL_LIMIT  # and not needlessly less


def test_no_member_seen_yet_counts_as_one() -> None:
    assert fair_share(0) == fair_share(1)


def test_the_bucket_paces_calls_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(10.0, clock=lambda: now[0])
    waits = [bucket.delay() for _ in range(30)]
    # The burst (one second's worth) goes at once; after it, each call waits one more tenth of a second.
    assert waits[:10] == [0.0] * 10
    assert waits[10:13] == pytest.approx([0.1, 0.2, 0.3])
    # 30 calls at 10/s need 2 s beyond the burst: never faster than the rate.
    assert waits[-1] == pytest.approx(2.0)


def test_a_smaller_share_slows_the_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(fair_share(1), clock=lambda: now[0])
    for _ in range(int(bucket.burst)):
        bucket.delay()
    now[0] += 1.0
    bucket.set_rate(fair_share(3))
    assert bucket.burst == pytest.approx(fair_share(3))
    allowed = sum(1 for _ in range(40) if bucket.delay() == 0.0)
    assert allowed == int(fair_share(3))


async def test_the_discord_sink_takes_a_token_before_every_call() -> None:
    from bot.send.discord_sink import DiscordSink
    from tests.unit.test_discord_sink import CHANNEL, Http, url

    now = [0.0]
    bucket = TokenBucket(5.0, clock=lambda: now[0])
    sink = DiscordSink(Http({url(f"/channels/{CHANNEL}/messages"): {"id": "1"}}), timeout=5, bucket=bucket)  # type: ignore[arg-type]
    for _ in range(5):
        await sink.post(CHANNEL, {"content": "x"}, nonce="n")
    # The five posts used the whole burst: the next call would have to wait a fifth of a second.
    assert bucket.delay() == pytest.approx(0.2)


@pytest.mark.parametrize("members", [1, 2, 3, 5])
def test_no_second_of_the_cluster_goes_over_the_global_limit_with_the_fair_burst(members: int) -> None:
    # Discord counts per second: the worst second sees every member's full burst and then a second of its refill.
    now = [0.0]
    buckets = [TokenBucket(fair_share(members), burst_for=fair_burst, clock=lambda: now[0]) for _ in range(members)]
    in_first_second = 0
    for bucket in buckets:
        waits = [bucket.delay() for _ in range(200)]
        in_first_second += sum(1 for w in waits if w < 1.0)
    assert in_first_second <= GLOBAL_LIMIT
    # The fair burst survives the heartbeat's re-sizing.
    buckets[0].set_rate(fair_share(members + 1))
    assert buckets[0].burst == pytest.approx(fair_burst(fair_share(members + 1)))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.001  # every reading later than the one before, as on a real clock
        return self.now


def test_a_member_joining_late_waits_until_the_others_count_it(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        clock = Clock()
        a = Membership(store, make_plan(2, (0,)), every=1, clock=clock)
        b = Membership(store, make_plan(2, (1,)), every=1, clock=clock)
        assert a.share_once() == fair_share(1)  # alone: the whole share at once
        # b sees two members, but a still takes the whole share until its next beat: b keeps to the headroom.
        assert b.share_once() == joining_share()
        assert fair_share(1) + joining_share() + fair_burst(fair_share(1)) <= GLOBAL_LIMIT
        assert b.share_once() == joining_share()  # a has not beaten yet
        assert a.share_once() == fair_share(2)  # a counts b now ...
        assert b.share_once() == fair_share(2)  # ... and b sees a's beat after its own join: an equal share
        clock.now += 10  # b silent past the staleness: a counts it out, so b joins again when it comes back
        assert a.share_once() == fair_share(1)
        assert b.share_once() == joining_share()
    finally:
        store.close()


class Locks:
    def __init__(self) -> None:
        self.held: frozenset[Role] = frozenset()


def test_a_standby_does_not_divide_the_limit_until_it_takes_over(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        clock = Clock()
        locks = {name: Locks() for name in ("a", "b", "standby")}
        locks["a"].held, locks["b"].held = frozenset({Role.shard(0)}), frozenset({Role.shard(1)})
        a = Membership(store, make_plan(2, (0,)), every=1, locks=locks["a"], clock=clock)
        b = Membership(store, make_plan(2, (1,)), every=1, locks=locks["b"], clock=clock)
        standby = Membership(store, make_plan(2, (0,)), every=1, locks=locks["standby"], clock=clock)
        a.share_once(), b.share_once(), a.share_once(), b.share_once()
        assert standby.share_once() == joining_share()  # waiting: its few calls fit in the headroom
        assert a.share_once() == b.share_once() == fair_share(2)  # a standby sends nothing: it divides nothing
        assert standby.share_once() == joining_share()
        # a dies (its lock freed) and the standby takes shard 0: a is counted as gone at once (no waiting for its
        # heartbeat to go stale), and the standby joins the split like a newcomer, once b has counted it.
        locks["a"].held, locks["standby"].held = frozenset(), frozenset({Role.shard(0)})
        assert standby.share_once() == joining_share()
        assert [m.member_id for m in store.cluster.members(clock.now)] == [b.member_id, standby.member_id]
        assert b.share_once() == fair_share(2)
        assert standby.share_once() == fair_share(2)
    finally:
        store.close()


def test_the_joining_share_fits_in_the_headroom() -> None:
    for members in (1, 2, 3, 5):
        assert fair_share(members) * members + joining_share() <= GLOBAL_LIMIT * 0.96
    assert member_share(2, counted_by_all=False) == joining_share()
    assert member_share(2, counted_by_all=True) == fair_share(2)


async def ok_server() -> TestServer:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", ok)
    server = TestServer(app)
    await server.start_server()
    return server


async def requests(trace: aiohttp.TraceConfig, server: TestServer, paths: list[str]) -> None:
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        for path in paths:
            async with session.get(server.make_url(path)) as response:
                await response.read()


async def test_the_session_pacing_takes_a_token_for_every_request_but_the_unpaced() -> None:
    # discord.py's own calls (log-in, its retries) go through the same session: paced there, none escapes.
    now = [0.0]
    bucket = TokenBucket(5.0, clock=lambda: now[0])
    trace = aiohttp.TraceConfig()
    pace_session(trace, bucket, lambda url: "/interactions/" not in url.path)
    server = await ok_server()
    try:
        await requests(trace, server, ["/users/@me", "/channels/1/messages", "/interactions/1/t/callback"] * 2 + ["/x"])
    finally:
        await server.close()
    # Five paced requests used the whole burst (the two interaction responses took none): the next one would wait.
    assert bucket.delay() == pytest.approx(0.2)


async def test_a_prepaid_call_takes_no_second_token_but_its_retry_does() -> None:
    now = [0.0]
    bucket = TokenBucket(5.0, clock=lambda: now[0])
    trace = aiohttp.TraceConfig()
    pace_session(trace, bucket, lambda url: True)
    server = await ok_server()
    try:
        bucket.delay()  # the token the caller (the sink) took before calling discord.py
        with prepaid():
            await requests(trace, server, ["/channels/1/messages", "/channels/1/messages"])  # a call and its retry
        await requests(trace, server, ["/users/@me", "/users/@me"])
    finally:
        await server.close()
    # 1 + 0 + 1 + 2 tokens: one left of the burst of 5, then the bucket is empty.
    assert bucket.delay() == 0.0
    assert bucket.delay() == pytest.approx(0.2)


def test_rest_calls_count_against_the_global_limit_but_not_the_gateway_or_interaction_responses() -> None:
    base = discord.http.Route.BASE
    assert counts_globally(yarl.URL(f"{base}/channels/1/messages"))
    assert counts_globally(yarl.URL(f"{base}/users/@me"))
    assert not counts_globally(yarl.URL(f"{base}/interactions/1/token/callback"))
    assert not counts_globally(yarl.URL("wss://gateway.discord.gg/?v=10&encoding=json"))


COUNTED = "Every live member counts this process now"


def test_a_lone_sqlite_process_logs_no_cluster_share(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Console mode or one bot on SQLite: no "Every live member counts this process now: 1 sending"."""
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        with caplog.at_level("INFO", logger="bot.cluster.membership"):
            alone = Membership(store, make_plan(1, (0,)), every=1, clock=Clock())
            assert alone.share_once() == fair_share(1)
            assert alone.share_once() == fair_share(1)
    finally:
        store.close()
    assert COUNTED not in caplog.text


def test_the_share_is_logged_once_counted_where_members_share_the_database(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two members (on either backend) log their share once counted; on PostgreSQL a lone member does too."""
    store = Store.open(store_url)
    try:
        clock = Clock()

        with caplog.at_level("INFO", logger="bot.cluster.membership"):
            a = Membership(store, make_plan(2, (0,)), every=1, clock=clock)
            a.share_once()
            alone = caplog.text
            b = Membership(store, make_plan(2, (1,)), every=1, clock=clock)
            b.share_once()
            a.share_once()
            b.share_once()  # counted by a now: an equal share of two
    finally:
        store.close()
    assert (COUNTED in alone) == (not store.single_process)
    assert f"{COUNTED}: 2 sending, {fair_share(2):.1f} requests/s each" in caplog.text


async def test_low_priority_tokens_yield_to_every_waiting_normal_request() -> None:
    """Members' DMs take tokens only when no channel post waits: posts queued behind a fan-out go first."""
    bucket = TokenBucket(100.0, burst=1.0)
    await bucket.acquire()  # the burst is spent: everyone below waits for the refill
    order: list[str] = []

    async def take(name: str, low: bool) -> None:
        await (bucket.acquire_low() if low else bucket.acquire())
        order.append(name)

    lows = [asyncio.create_task(take(f"dm{i}", True)) for i in range(3)]
    await asyncio.sleep(0)  # the DMs are waiting first
    posts = [asyncio.create_task(take(f"post{i}", False)) for i in range(3)]
    await asyncio.gather(*lows, *posts)
    assert order[:3] == ["post0", "post1", "post2"], order
    assert sorted(order[3:]) == ["dm0", "dm1", "dm2"]


async def test_low_priority_tokens_are_spaced_at_their_share_of_the_rate_and_never_burst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fan-out of DMs, alone on an idle bucket: one token per 1 / (rate x LOW_SHARE) s, not the burst at once."""
    now = [1000.0]
    bucket = TokenBucket(10.0, burst=5.0, clock=lambda: now[0])
    real_sleep = asyncio.sleep

    async def test_clock_sleep(seconds: float) -> None:
        now[0] += seconds
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", test_clock_sleep)
    granted: list[float] = []
    for _ in range(6):
        await bucket.acquire_low()
        granted.append(now[0])
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(granted)]
    assert gaps == [round(1 / (10.0 * LOW_SHARE), 6)] * 5, gaps
    await bucket.acquire()  # a channel post right after finds tokens left: the DMs never took the whole burst
    assert now[0] == granted[-1]
