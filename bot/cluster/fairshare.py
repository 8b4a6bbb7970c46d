"""Discord's global limit (50 requests/s per bot) shared by every process of the cluster.

Each process takes an equal share from the live members (refreshed with the heartbeat) and paces its own REST
calls with a token bucket at that rate, so the cluster as a whole stays under the global limit. A little headroom
covers a member that joined since the last refresh and the gateway's own calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from types import SimpleNamespace

import aiohttp
import yarl

GLOBAL_LIMIT = 50.0  # requests per second per bot token
HEADROOM = 0.92
# Low-priority calls (members' DMs) use at most this part of the rate, evenly spaced and never in a burst: a fan-out
# runs for minutes at the limit, and calls that set out on time but reach Discord bunched (network and scheduling
# jitter) must still fit its one-second windows; the rest of the rate is always there for channel posts.
LOW_SHARE = 0.9
# Set by a caller that took its token before calling discord.py (``prepaid``): the session's next request uses it.
_PREPAID: ContextVar[list[bool] | None] = ContextVar("newsdesk_prepaid_token", default=None)


def fair_share(live_members: int, *, limit: float = GLOBAL_LIMIT, headroom: float = HEADROOM) -> float:
    """Requests per second this process may make when ``live_members`` processes share the token."""
    return limit * headroom / max(1, live_members)


def joining_share(*, limit: float = GLOBAL_LIMIT, headroom: float = HEADROOM) -> float:
    """A member the others have not counted yet: they still split the whole share among themselves, so it may
    only use what the headroom leaves (half of it, like the burst; the other half covers calls outside the bucket)
    until each of them has beaten since it joined. A member that is alone takes ``fair_share(1)`` at once."""
    return limit * (1 - headroom) / 2


def member_share(live: int, *, counted_by_all: bool) -> float:
    """This member's rate: an equal share of the live members once they all count it, else ``joining_share``."""
    return fair_share(live) if counted_by_all else joining_share()


def fair_burst(rate: float, *, headroom: float = HEADROOM) -> float:
    """The burst for a share of ``rate``/s. Discord counts the global limit per second, so one second can see a
    whole burst plus a second's refill: a burst of a second's worth (45 + 45) earned global 429s (bench_fanout).
    The burst comes out of the headroom instead, half of it; the other half is for calls that bypass the bucket."""
    return max(1.0, rate * (1 - headroom) / headroom / 2)


def one_second(rate: float) -> float:
    return max(1.0, rate)


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts up to ``burst_for(rate)`` (one second's worth
    unless given, e.g. ``fair_burst``); ``set_rate`` re-sizes both."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        burst_for: Callable[[float], float] = one_second,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._burst_for = burst_for
        self.rate = rate
        self.burst = burst if burst is not None else burst_for(rate)
        self._tokens = self.burst
        self._at = clock()
        self._lock = asyncio.Lock()
        self._waiting = 0  # normal acquisitions under way: a low-priority one waits until there are none
        self._low_next = 0.0  # the earliest clock time of the next low-priority token (LOW_SHARE of the rate)
        self._idle = asyncio.Event()
        self._idle.set()

    def set_rate(self, rate: float) -> None:
        self._refill()
        self.rate = rate
        self.burst = self._burst_for(rate)
        self._tokens = min(self._tokens, self.burst)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def delay(self) -> float:
        """Take a token; returns how long the caller must wait before using it (0 when one was ready)."""
        self._refill()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> None:
        self._waiting += 1
        self._idle.clear()
        try:
            async with self._lock:  # waiters go in order, so nobody starves
                wait = self.delay()
                if wait > 0:
                    await asyncio.sleep(wait)
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._idle.set()

    async def acquire_low(self) -> None:
        """A token only when no normal acquisition is waiting and one is ready now: members' DMs take what
        channel posts leave. It never borrows ahead (a normal acquire may), so a channel post arriving next
        finds the bucket as the DMs found it, and never queues behind them; and low-priority tokens are spaced
        at ``LOW_SHARE`` of the rate, so a long fan-out never bursts."""
        while True:
            if self._waiting:
                await self._idle.wait()
                continue
            now = self._clock()
            if now < self._low_next:
                await asyncio.sleep(self._low_next - now)
                continue
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                self._low_next = max(now, self._low_next) + 1.0 / (self.rate * LOW_SHARE)
                return
            await asyncio.sleep((1.0 - self._tokens) / self.rate)


def pace_session(trace: aiohttp.TraceConfig, bucket: TokenBucket, paced: Callable[[yarl.URL], bool]) -> None:
    """Every request on the session that uses ``trace`` (discord.py's: ``Client(http_trace=...)``) for which
    ``paced(url)`` holds waits for a token first: the sink's calls, and also discord.py's own (log-in, application
    info, its retries after a 429 or a 5xx), which the sink never sees and which used to come out of the headroom
    (global 429s at start-up)."""

    async def on_request_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if not paced(params.url):
            return
        paid = _PREPAID.get()
        if paid is not None and paid[0]:
            paid[0] = False  # the caller's token covers this request; a retry of it takes its own
            return
        await bucket.acquire()

    trace.on_request_start.append(on_request_start)


@contextlib.contextmanager
def prepaid() -> Iterator[None]:
    """Around a discord.py call whose token the caller already took (the sink waits for it outside its request
    time-out, so a long queue behind a fan-out never counts as Discord not answering)."""
    token = _PREPAID.set([True])
    try:
        yield
    finally:
        _PREPAID.reset(token)
