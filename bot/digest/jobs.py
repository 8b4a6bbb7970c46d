"""The bridge to APScheduler: the scheduler factory, the job function, and keeping jobs in step with the table.

APScheduler 3 persists a job as a textual reference to a module-level function plus pickled arguments; that
is what lets jobs survive restarts, and also why the function cannot close over the bot. So
``run_digest_job`` takes only the digest id and hands it to the runner the digest cog attached when it loaded
(and detaches when it unloads). That attachment is the digest feature's one piece of module state: nothing is
created at import, it is empty whenever no bot runs, and its lifetime is the cog's. A contextvar would not
work: APScheduler starts jobs from its own timer callbacks, outside any context the cog could set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.digest.runner import DigestRunner
from bot.store import Store
from bot.store.digest_tables import JOBS_TABLE
from bot.store.digests import DigestRow

log = logging.getLogger(__name__)

_attached: list[DigestRunner] = []


def attach(runner: DigestRunner) -> None:
    _attached.append(runner)


def detach(runner: DigestRunner) -> None:
    if runner in _attached:
        _attached.remove(runner)


async def run_digest_job(digest_id: int) -> None:
    """What every digest job runs. Module-level and id-only, so APScheduler can store it and load it back."""
    if not _attached:
        log.warning("Digest %s is due but no digest runner is attached (bot shutting down?); skipped", digest_id)
        return
    try:
        await _attached[-1].run_scheduled(digest_id)
    except Exception:
        log.exception("Digest %s failed unexpectedly; it stays scheduled", digest_id)


_DIGEST_FUNC = f"{run_digest_job.__module__}:{run_digest_job.__qualname__}"


def jobs_table(shard_key: str) -> str:
    """The job table of a process: ``apscheduler_jobs`` unsharded, ``apscheduler_jobs_n2_s0`` for shard 0 of 2.

    APScheduler 3 cannot share a job store between processes, so each shard set keeps its own, holding only
    the digests of its guilds; the digest run key stops a second post should two ever fire the same run."""
    return f"{JOBS_TABLE}_{shard_key}" if shard_key else JOBS_TABLE


def make_scheduler(store: Store, *, grace_seconds: int, tablename: str = JOBS_TABLE) -> AsyncIOScheduler:
    """Jobs live in the bot's own database. A run missed while the bot was down still runs at start-up if it
    is at most ``grace_seconds`` late, and only once however many runs were missed (coalesce)."""
    return AsyncIOScheduler(
        jobstores={"default": store.job_store(tablename)},
        job_defaults={"coalesce": True, "misfire_grace_time": grace_seconds, "max_instances": 1},
        timezone=UTC,
    )


def job_id(digest_id: int) -> str:
    return str(digest_id)


def schedule_job(scheduler: AsyncIOScheduler, digest: DigestRow, *, grace_seconds: int) -> Job:
    """Add the digest's job, replacing one with the same id (so its next run is computed afresh)."""
    return scheduler.add_job(
        run_digest_job,
        trigger=digest.spec.schedule.trigger(),
        args=[digest.id],
        id=job_id(digest.id),
        name=f"digest {digest.spec.name}",
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=grace_seconds,
        max_instances=1,
    )


def unschedule_job(scheduler: AsyncIOScheduler, digest_id: int) -> None:
    try:
        scheduler.remove_job(job_id(digest_id))
    except JobLookupError:
        log.info("Digest %s had no scheduled job", digest_id)


def reconcile_jobs(scheduler: AsyncIOScheduler, digests: Sequence[DigestRow], *, grace_seconds: int) -> int:
    """Make the job store match the digests table; returns how many jobs were (re)created.

    Jobs that are already right are left alone, with their stored next run time: re-adding them would move
    a run missed while the bot was down into the future, and it would never be posted.
    """
    wanted = {job_id(d.id): d for d in digests}
    for job in scheduler.get_jobs():
        # Other features' jobs share the store (the weekly report's): only digest jobs are the table's to judge.
        if job.id not in wanted and job.func_ref == _DIGEST_FUNC:
            log.info("Removing the job of digest %s, which no longer exists", job.id)
            scheduler.remove_job(job.id)
    created = 0
    for jid, digest in wanted.items():
        job = scheduler.get_job(jid)
        if job is None or not _up_to_date(job, digest):
            schedule_job(scheduler, digest, grace_seconds=grace_seconds)
            created += 1
        elif job.misfire_grace_time != grace_seconds:
            scheduler.modify_job(jid, misfire_grace_time=grace_seconds)
    return created


def _up_to_date(job: Job, digest: DigestRow) -> bool:
    wanted = digest.spec.schedule.trigger()
    return (
        job.func_ref == _DIGEST_FUNC
        and list(job.args) == [digest.id]
        and type(job.trigger) is type(wanted)
        and _trigger_key(job.trigger) == _trigger_key(wanted)
    )


def _trigger_key(trigger: Any) -> tuple[str, str]:
    return str(trigger), str(trigger.timezone)
