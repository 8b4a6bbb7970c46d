"""Fixed-window rate-limit buckets and a sliding global limit, with Discord's headers.

Callers hold the FakeDiscord state lock; these classes are not locked themselves.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

Rate = tuple[int, float]


@dataclass
class Window:
    limit: int
    per: float
    start: float = 0.0
    count: int = 0

    def _roll(self, now: float) -> None:
        if self.count and now >= self.start + self.per:
            self.count = 0

    def retry_after(self, now: float) -> float:
        """Seconds until a request would be allowed (0 when allowed now)."""
        self._roll(now)
        return max(0.0, self.start + self.per - now) if self.count >= self.limit else 0.0

    def consume(self, now: float) -> None:
        self._roll(now)
        if self.count == 0:
            self.start = now
        self.count += 1

    def headers(self, now: float, bucket: str) -> dict[str, str]:
        self._roll(now)
        remaining = max(0, self.limit - self.count)
        reset_after = self.start + self.per - now if self.count else self.per
        # Round up to the millisecond so a client that waits Reset-After always lands in a new window.
        reset_after = math.ceil(max(reset_after, 0.0) * 1000) / 1000
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }


class RateLimiter:
    """Per-route buckets keyed by (route, major parameter) plus a global requests-per-second cap."""

    def __init__(self, channel_rate: Rate | None, route_rate: Rate | None, global_rate: Rate | None) -> None:
        self.channel_rate = channel_rate
        self.route_rate = route_rate
        self.global_rate = global_rate
        self._windows: dict[tuple[str, str], Window] = {}
        self._global = Window(limit=global_rate[0], per=global_rate[1]) if global_rate else Window(1, 1.0)

    @staticmethod
    def bucket_hash(route: str) -> str:
        return hashlib.sha1(route.encode()).hexdigest()[:16]

    def window(self, route: str, major: str, *, message_post: bool) -> Window | None:
        rate = self.channel_rate if message_post else self.route_rate
        if rate is None:
            return None
        key = (route, major)
        win = self._windows.get(key)
        if win is None or (win.limit, win.per) != rate:
            win = self._windows[key] = Window(limit=rate[0], per=rate[1])
        return win

    def global_retry_after(self, now: float) -> float:
        """Check and count one request against the global limit (a fixed window); >0 means rejected."""
        if self.global_rate is None:
            return 0.0
        if (self._global.limit, self._global.per) != self.global_rate:
            self._global = Window(limit=self.global_rate[0], per=self.global_rate[1])
        retry = self._global.retry_after(now)
        if retry > 0:
            return max(retry, 0.001)
        self._global.consume(now)
        return 0.0

    def reset(self) -> None:
        self._windows.clear()
        self._global = Window(limit=self._global.limit, per=self._global.per)


def rate_limited_body(retry_after: float, *, is_global: bool) -> dict[str, object]:
    retry = math.ceil(retry_after * 1000) / 1000
    return {"message": "You are being rate limited.", "retry_after": retry, "global": is_global}


def rate_limited_headers(retry_after: float, *, is_global: bool) -> dict[str, str]:
    headers = {"Via": "1.1 google", "Retry-After": str(max(1, math.ceil(retry_after)))}
    if is_global:
        headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
    else:
        headers["X-RateLimit-Scope"] = "user"
    return headers
