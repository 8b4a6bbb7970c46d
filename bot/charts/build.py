"""A chart from the database in one call: read its numbers, draw it, say it in one line.

Synchronous and slow-ish (a few hundred milliseconds of drawing): the bot runs it with ``store.run_concurrent``,
off the event loop and never on the store's serial thread (the feed's); the CLI calls it directly.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo

from bot.charts.summary import status_summary, weekly_summary
from bot.store import Store
from bot.store.chart_data import Channels


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    summary: str  # the one line that stands in for the picture


def status_chart(
    store: Store,
    *,
    channels: Channels = None,
    names: Mapping[int, str] | None = None,
    tz: tzinfo = UTC,
    now: float | None = None,
) -> Chart:
    """The last 24 hours (``channels``: one server's; None: the whole deployment)."""
    from bot.charts.draw import status_png

    chart = store.chart_data.hourly(time.time() if now is None else now, channels)
    return Chart(status_png(chart, names or {}, tz), status_summary(chart))


def weekly_chart(
    store: Store,
    *,
    channels: Channels = None,
    names: Mapping[int, str] | None = None,
    tz: tzinfo = UTC,
    now: float | None = None,
) -> Chart:
    """The week, day by day in ``tz`` (``channels`` as for ``status_chart``)."""
    from bot.charts.weekly import weekly_png

    report = store.chart_data.weekly(time.time() if now is None else now, channels, tz)
    return Chart(weekly_png(report, names or {}, tz), weekly_summary(report, names or {}))


def server_chart(kind: str, store: Store, guild_id: int, cached: Mapping[int, int], **options: object) -> Chart:
    """``status_chart`` (kind "status") or ``weekly_chart`` ("week") of one server's channels only."""
    channels = guild_channels(guild_id, store.channel_guilds.all(), cached)
    draw = status_chart if kind == "status" else weekly_chart
    return draw(store, channels=channels, **options)  # type: ignore[arg-type]


def guild_channels(guild_id: int, stored: Mapping[int, int], cached: Mapping[int, int]) -> set[int]:
    """One server's channels, as ``bot.status.for_guild`` draws the wall: the stored lookups and the gateway's
    cache of that server (a channel whose server is unknown belongs to none)."""
    return {channel for channel, guild in {**stored, **cached}.items() if guild == guild_id}
