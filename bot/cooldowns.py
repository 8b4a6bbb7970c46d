"""Per-member cooldowns: a token bucket for each member, so a person paging never waits and a script does.

Each member starts with ``burst`` tokens; an action takes one, and tokens come back at ``per_second`` up to
``burst``. A member whose bucket has filled up again is in the same state as one never seen, so they are
forgotten: memory holds only members active within the last ``burst / per_second`` seconds (and never more
than ``max_members``, the longest idle dropped first). Free of Discord; the clock is injected for tests.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class Cooldowns:
    def __init__(
        self,
        *,
        burst: float,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        max_members: int = 10_000,
    ) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("burst must be at least 1 and per_second above 0")
        self.burst = float(burst)
        self.per_second = float(per_second)
        self._clock = clock
        self._max = max_members
        # member -> (tokens, when counted); least recently active first.
        self._buckets: OrderedDict[int, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, member_id: int) -> float:
        """0.0 when the member may go ahead (a token is taken), else the seconds until they may."""
        now = self._clock()
        self._forget_idle(now)
        tokens = self._tokens(member_id, now)
        if tokens >= 1:
            self._buckets[member_id] = (tokens - 1, now)
            self._buckets.move_to_end(member_id)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
            return 0.0
        # A refused try takes nothing: the wait is the same however often a script asks.
        return (1 - tokens) / self.per_second

    def _tokens(self, member_id: int, now: float) -> float:
        found = self._buckets.get(member_id)
        if found is None:
            return self.burst
        tokens, then = found
        return min(self.burst, tokens + max(0.0, now - then) * self.per_second)

    def _forget_idle(self, now: float) -> None:
        # The oldest entries are the longest idle: stop at the first one still refilling.
        while self._buckets:
            member_id = next(iter(self._buckets))
            if self._tokens(member_id, now) < self.burst:
                return
            del self._buckets[member_id]
