"""The weekly report's APScheduler job, in the digests' persistent job store (``bot/digest/jobs.py`` says why the
job function is module-level and reaches its reporter through an attachment the cog makes and removes).

The job is left alone while its trigger is right, so its stored next run survives a restart: a Monday run
missed while the bot was down fires once at start-up if at most ``scheduler.digest_grace_seconds`` late."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.weekly.runner import WeeklyReporter
from bot.weekly.schedule import trigger

log = logging.getLogger(__name__)

JOB_ID = "weekly-report"  # digest jobs are numbered by digest id: no clash
_attached: list[WeeklyReporter] = []


def attach(reporter: WeeklyReporter) -> None:
    _attached.append(reporter)


def detach(reporter: WeeklyReporter) -> None:
    if reporter in _attached:
        _attached.remove(reporter)


async def run_weekly_job() -> None:
    """What the job runs. Module-level and argument-free, so APScheduler can store it and load it back."""
    if not _attached:
        log.warning("The weekly report is due but no reporter is attached (bot shutting down?); skipped")
        return
    try:
        await _attached[-1].run_scheduled()
    except Exception:
        log.exception("The weekly report failed unexpectedly; it stays scheduled")


def ensure_job(scheduler: AsyncIOScheduler, timezone: str, *, grace_seconds: int) -> bool:
    """Make the job run Mondays 09:00 in ``timezone``; True when it was (re)created."""
    from zoneinfo import ZoneInfo

    wanted = trigger(ZoneInfo(timezone))
    job = scheduler.get_job(JOB_ID)
    if job is not None and _key(job.trigger) == _key(wanted) and job.func_ref == _func_ref():
        if job.misfire_grace_time != grace_seconds:
            scheduler.modify_job(JOB_ID, misfire_grace_time=grace_seconds)
        return False
    scheduler.add_job(
        run_weekly_job,
        trigger=wanted,
        id=JOB_ID,
        name="weekly report",
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=grace_seconds,
        max_instances=1,
    )
    return True


def remove_job(scheduler: AsyncIOScheduler) -> None:
    if scheduler.get_job(JOB_ID) is not None:
        scheduler.remove_job(JOB_ID)


def _func_ref() -> str:
    return f"{run_weekly_job.__module__}:{run_weekly_job.__qualname__}"


def _key(trigger: Any) -> tuple[str, str, str]:
    return type(trigger).__name__, str(trigger), str(trigger.timezone)
