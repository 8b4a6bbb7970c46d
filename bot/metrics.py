"""Prometheus metrics for one process: what it indexed, delivered and held, and how Discord answered.

``main()`` makes one ``Metrics`` (with its own ``CollectorRegistry``, never prometheus_client's global one) when
``metrics.port`` is set and hands it to the parts that report; each of them takes ``metrics=None`` to mean off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# File saved → Discord confirmed the POST: a few ms on a quiet bot, up to a minute behind a rate limit.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
ALL_SHARDS = "all"  # the queue-depth label of an unsharded process
# X-RateLimit-Scope of a 429: the bot's global limit, a per-resource limit shared by every user, or ours alone.
SCOPES = ("global", "shared", "user")
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

log = logging.getLogger(__name__)


class Metrics:
    """The series this process exposes on ``GET /metrics``; each ``on_...``/``set_...`` method is one hook."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.stories_indexed = Gauge("newsdesk_stories_indexed", "Stories in the index (present files)", registry=r)
        self.deliveries = Counter(
            "newsdesk_deliveries", "Deliveries settled, by outcome", ["outcome"], registry=r
        )  # exposed as newsdesk_deliveries_total{outcome="sent"}
        self.latency = Histogram(
            "newsdesk_file_to_post_seconds",
            "From the story file's modification time to Discord's confirmation of the post",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "newsdesk_queue_depth", "Deliveries queued in this process's send queues", ["shard"], registry=r
        )
        # Every response on the bot's HTTP session (``trace_config``), retries included: discord.py retries 429s
        # and 5xx inside ``HTTPClient.request``, so the sink alone would only see what is left after them.
        self.responses = Counter(
            "newsdesk_discord_responses",
            "Responses from Discord's REST API, by status class",
            ["status_class"],
            registry=r,
        )
        self.rate_limited = Counter(
            "newsdesk_discord_429",
            "Discord answered 429 Too Many Requests, by X-RateLimit-Scope",
            ["scope"],
            registry=r,
        )
        self.server_errors = Counter("newsdesk_discord_5xx", "Discord answered with a 5xx status", registry=r)
        self.gave_up = Counter(
            "newsdesk_discord_gave_up",
            "REST calls still failing after discord.py's retries (429 or 5xx), as the sink classified them",
            ["status"],
            registry=r,
        )
        for scope in SCOPES:  # shown at 0 from the start, so a dashboard's rate() has a series to work on
            self.rate_limited.labels(scope=scope)
        for status_class in STATUS_CLASSES:
            self.responses.labels(status_class=status_class)
        # Members' DMs (bot/personal/dm_queue.py): stories sent or failed for good, members paused by Discord's 50007.
        self.dms_sent = Counter("newsdesk_dms_sent", "Stories sent to members as DMs", registry=r)
        self.dms_failed = Counter("newsdesk_dms_failed", "Member DMs that failed for good", registry=r)
        self.members_paused = Counter(
            "newsdesk_members_paused", "Members whose follows were paused because their DMs are closed", registry=r
        )
        self.roles = Gauge("newsdesk_role_held", "1 while this process holds the role", ["role"], registry=r)
        # Read at scrape time rather than pushed: counting the index on every change would cost the feed's thread.
        self._indexed: Callable[[], Awaitable[int]] | None = None
        self._queues: Callable[[], Mapping[str, int]] | None = None
        self._roles: Callable[[], tuple[Iterable[str], Iterable[str]]] | None = None

    # -- hooks --------------------------------------------------------------------------------------------

    def on_delivery(self, outcome: str, *, changed_at: float | None = None, now: float | None = None) -> None:
        """A delivery settled; a post (``sent`` with ``changed_at``, the file's mtime) also times its latency."""
        self.deliveries.labels(outcome=outcome).inc()
        if changed_at is not None:
            self.latency.observe(max(0.0, (time.time() if now is None else now) - changed_at))

    def on_dm(self, outcome: str, *, changed_at: float | None = None) -> None:
        """A story's DM to a member settled: ``sent`` or ``failed``."""
        (self.dms_sent if outcome == "sent" else self.dms_failed).inc()

    def on_member_paused(self) -> None:
        self.members_paused.inc()

    def on_discord_status(self, status: int | None) -> None:
        """A REST call that failed for good (after discord.py's retries), with the status the sink classified."""
        if status == 429:
            self.gave_up.labels(status="429").inc()
        elif status is not None and status >= 500:
            self.gave_up.labels(status="5xx").inc()

    def on_discord_response(self, status: int, headers: Mapping[str, str]) -> None:
        """One HTTP response from Discord, whoever retries it afterwards."""
        self.responses.labels(status_class=f"{min(max(status // 100, 1), 5)}xx").inc()
        if status == 429:
            self.rate_limited.labels(scope=rate_limit_scope(headers)).inc()
        elif status >= 500:
            self.server_errors.inc()

    def trace_config(self, trace: aiohttp.TraceConfig | None = None) -> aiohttp.TraceConfig:
        """Hooks for the bot's aiohttp session (``discord.Client(http_trace=...)``) that count every response;
        added to ``trace`` when given (discord.py takes one trace config)."""

        async def on_request_end(
            session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestEndParams
        ) -> None:
            self.on_discord_response(params.response.status, params.response.headers)

        trace = trace if trace is not None else aiohttp.TraceConfig()
        trace.on_request_end.append(on_request_end)
        return trace

    def set_indexed(self, stories: int) -> None:
        self.stories_indexed.set(stories)

    def set_queue_depth(self, depth: int, shard: str = ALL_SHARDS) -> None:
        self.queue_depth.labels(shard=shard).set(depth)

    def set_roles(self, wanted: Iterable[str], held: Iterable[str]) -> None:
        """Every role this process wants gets a series: 1 held, 0 not (a standby shows its shards at 0)."""
        held = set(held)
        for role in wanted:
            self.roles.labels(role=role).set(1 if role in held else 0)

    def follow(
        self,
        *,
        indexed: Callable[[], Awaitable[int]] | None = None,
        queues: Callable[[], Mapping[str, int]] | None = None,
        roles: Callable[[], tuple[Iterable[str], Iterable[str]]] | None = None,
    ) -> None:
        """Where a scrape reads the story count, the queue depth per shard (the pipeline's) and the (wanted,
        held) role names (the cluster membership's)."""
        self._indexed = indexed or self._indexed
        self._queues = queues or self._queues
        self._roles = roles or self._roles

    async def scrape(self) -> bytes:
        """Refresh the followed gauges, then render the text format."""
        self._refresh_roles()
        if self._queues is not None:
            for shard, depth in self._queues().items():
                self.set_queue_depth(depth, shard)
        if self._indexed is not None:
            try:
                self.set_indexed(await self._indexed())
            except Exception as exc:  # the store is down: /healthz says so; keep the last value here
                log.warning("Could not count the indexed stories for /metrics: %s", exc)
        return self.render()

    def _refresh_roles(self) -> None:
        if self._roles is not None:
            self.set_roles(*self._roles())

    def held_roles(self) -> list[str]:
        self._refresh_roles()
        return sorted(
            s.labels["role"] for m in self.roles.collect() for s in m.samples if s.value == 1 and "role" in s.labels
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def rate_limit_scope(headers: Mapping[str, str]) -> str:
    """``X-RateLimit-Scope`` of a 429 (global, shared or user); ``X-RateLimit-Global`` alone means global (older
    answers), and a 429 with neither (e.g. from a proxy in front of Discord) counts as ``user``."""
    scope = (headers.get("X-RateLimit-Scope") or "").strip().lower()
    if scope in SCOPES:
        return scope
    return "global" if (headers.get("X-RateLimit-Global") or "").strip().lower() == "true" else "user"
