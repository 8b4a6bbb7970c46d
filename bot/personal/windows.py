"""A member's clock: quiet hours, their day (for the daily cap) and their personal digest's runs. Pure.

Wall-clock times are read in the member's time zone. A wall time that does not exist (the hour skipped when the
clocks go forward) is read with the offset before the change, so it lands just after the gap; a time that exists
twice (the hour repeated when they go back) is its first occurrence. Every comparison is made in epoch seconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest_schedule import Schedule, build_schedule, parse_time


def wall(day: date, at: time, zone: ZoneInfo) -> float:
    """The epoch second of wall time ``at`` on ``day`` in ``zone``."""
    return datetime.combine(day, at, tzinfo=zone).timestamp()


def clock_time(text: str) -> time:
    """``"22:00"`` → 22:00; an OptionError naming ``time`` otherwise."""
    hour, minute = parse_time(text)
    return time(hour, minute)


def quiet_until(now: float, start: str | None, end: str | None, timezone: str) -> float | None:
    """When the quiet window ``start``-``end`` (``"22:00"``, ``"07:00"``; across midnight when end <= start)
    that ``now`` falls in ends; None outside it, or without quiet hours (either end unset, or both equal)."""
    if not start or not end or start == end:
        return None
    zone = ZoneInfo(timezone)
    begin, finish = clock_time(start), clock_time(end)
    overnight = finish <= begin
    today = datetime.fromtimestamp(now, zone).date()
    # A window that began yesterday evening may still be running this morning.
    for day in (today - timedelta(days=1), today):
        opens = wall(day, begin, zone)
        closes = wall(day + timedelta(days=1) if overnight else day, finish, zone)
        if opens <= now < closes:
            return closes
    return None


def day_start(now: float, timezone: str) -> float:
    """Midnight that began the member's current day: their daily cap counts DMs sent since then."""
    zone = ZoneInfo(timezone)
    return wall(datetime.fromtimestamp(now, zone).date(), time(0), zone)


def digest_schedule(digest_time: str, digest_days: str | None, timezone: str) -> Schedule:
    """The member's personal digest as a channel digest's schedule (DST-safe: bot/digest_schedule.py)."""
    return build_schedule(time=digest_time, days=digest_days, cron=None, timezone=timezone)


def digest_due(schedule: Schedule, last: float, now: float) -> float | None:
    """The run the member's digest owes at ``now``: the latest scheduled time in (``last``, ``now``], or None.

    Only the latest counts, so runs missed while the bot was down are caught up once, not once each."""
    fire = schedule.last_run(datetime.fromtimestamp(now, UTC))
    if fire is None or fire.timestamp() <= last:
        return None
    return fire.timestamp()


def next_digest(schedule: Schedule, now: float) -> float | None:
    """The first scheduled run after ``now`` (when the sender should look again)."""
    runs = schedule.runs(datetime.fromtimestamp(now, UTC) + timedelta(seconds=1), 1)
    return runs[0].timestamp() if runs else None
