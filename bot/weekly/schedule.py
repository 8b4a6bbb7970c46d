"""When the weekly report is due: Mondays at 09:00 wall-clock time in ``scheduler.timezone``, whatever the offset
that day (a DST change moves the UTC instant, never the local hour). Pure functions, no I/O."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

WEEKDAY = 0  # Monday (datetime.weekday)
AT = time(9, 0)
WHEN = "Mondays 09:00"


def due_before(now: datetime, tz: tzinfo) -> datetime:
    """The latest Monday 09:00 (in ``tz``) at or before ``now``: the run a trigger at ``now`` belongs to."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=(local.weekday() - WEEKDAY) % 7)
    due = datetime.combine(monday, AT, tzinfo=tz)
    if due > local:
        due = datetime.combine(monday - timedelta(days=7), AT, tzinfo=tz)
    return due


def next_due(now: datetime, tz: tzinfo) -> datetime:
    """The first Monday 09:00 (in ``tz``) strictly after ``now``."""
    last = due_before(now, tz)
    # Add days to the local date, not 168 hours: a week that crosses a DST change is 167 or 169 hours long.
    return datetime.combine(last.date() + timedelta(days=7), AT, tzinfo=tz)


def week_key(now: datetime, tz: tzinfo) -> str:
    """The run's key: the date of its Monday, e.g. "2026-12-07". The same for every trigger between two runs."""
    return due_before(now, tz).date().isoformat()


def trigger(tz: tzinfo) -> CronTrigger:
    """The APScheduler trigger of the job: the same instants as ``next_due``."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger(day_of_week="mon", hour=AT.hour, minute=AT.minute, timezone=tz)


def missed(now: datetime, tz: tzinfo, grace_seconds: float) -> bool:
    """Whether the latest run is at most ``grace_seconds`` old at ``now``: a bot that was down at 09:00 and
    starts within the grace still posts it (once: the week's claim)."""
    return now.timestamp() - due_before(now, tz).timestamp() <= grace_seconds
