"""Digest jobs in a real APScheduler with its job store in SQLite: rebuilt from the table, missed runs, restarts."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.digest import jobs
from bot.digest.runner import DigestRunner
from bot.digest.spec import make_spec
from bot.routes.planning import make_planner
from bot.store import FileParsed, Store
from bot.store.digests import BASELINE_KEY, DigestRow
from bot.stories.parser import parse_story_text
from tests.storyfiles import story_text
from tests.unit.test_digest_runner import RecordingSink

GRACE = 3600


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    s.set_meta(BASELINE_KEY, str(time.time() - 3600))
    story = parse_story_text(story_text(1), "1.md")
    data = json.dumps(story.to_dict(), sort_keys=True)
    item = FileParsed("1.md", 1, 100, "sha", story, data, hashlib.sha256(data.encode()).hexdigest())
    s.apply([item], make_planner(lambda _: [], announce=True, on_unpublish="delete"))
    yield s
    s.close()


def save(store: Store, name: str = "every-minute", **options: Any) -> DigestRow:
    spec = make_spec(**{"name": name, "channel_id": 7, "cron": "* * * * *", **options})
    return store.digests.save(1, spec)


async def start(store: Store, rows: list[DigestRow]) -> AsyncIOScheduler:
    """What the digest cog does on load: start paused, reconcile, resume."""
    scheduler = jobs.make_scheduler(store, grace_seconds=GRACE)
    scheduler.start(paused=True)
    jobs.reconcile_jobs(scheduler, rows, grace_seconds=GRACE)
    scheduler.resume()
    return scheduler


async def stop(scheduler: AsyncIOScheduler) -> None:
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0.05)  # the asyncio scheduler shuts down on its next loop turn


async def wait_for_posts(sink: RecordingSink, count: int) -> None:
    for _ in range(200):
        if len(sink.posts) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} posts, got {len(sink.posts)}")


async def restart_with_missed_run(store: Store, row: DigestRow, late: timedelta, sink: RecordingSink) -> None:
    """Run a scheduler, 'crash' with the digest's next run ``late`` in the past, and start again."""
    first = await start(store, [row])
    first.modify_job(jobs.job_id(row.id), next_run_time=datetime.now(UTC) - late)
    first.pause()
    await stop(first)
    runner = DigestRunner(store, sink)
    jobs.attach(runner)
    try:
        second = await start(store, [row])
        await asyncio.sleep(0.3)
        await stop(second)
    finally:
        jobs.detach(runner)


async def test_jobs_are_rebuilt_from_the_table(store: Store) -> None:
    keep, change = save(store, "keep"), save(store, "change")
    scheduler = await start(store, [keep, change])
    kept_job = scheduler.get_job(jobs.job_id(keep.id))
    scheduler.add_job(jobs.run_digest_job, "interval", hours=1, args=[999], id="999")  # a digest that is gone
    changed = save(store, "change", cron="0 9 * * 1-5")
    created = jobs.reconcile_jobs(scheduler, [keep, changed], grace_seconds=GRACE)
    assert created == 1
    assert {j.id for j in scheduler.get_jobs()} == {jobs.job_id(keep.id), jobs.job_id(change.id)}
    assert scheduler.get_job(jobs.job_id(keep.id)).next_run_time == kept_job.next_run_time
    assert "day_of_week='mon,tue,wed,thu,fri'" in str(scheduler.get_job(jobs.job_id(change.id)).trigger)
    await stop(scheduler)


async def test_jobs_survive_a_restart_without_moving(store: Store) -> None:
    row = save(store, time="09:00", cron=None, timezone="Europe/Vienna")
    first = await start(store, [row])
    due = first.get_job(jobs.job_id(row.id)).next_run_time
    await stop(first)
    second = await start(store, [row])
    job = second.get_job(jobs.job_id(row.id))
    assert job.next_run_time == due and job.args == (row.id,)
    assert job.func_ref == "bot.digest.jobs:run_digest_job"
    assert job.coalesce is True and job.misfire_grace_time == GRACE
    await stop(second)


async def test_a_run_missed_within_grace_is_posted_once_however_many_were_missed(store: Store) -> None:
    row = save(store)  # every minute: 30 runs were missed
    sink = RecordingSink()
    await restart_with_missed_run(store, row, timedelta(minutes=30), sink)
    await wait_for_posts(sink, 1)
    assert len(sink.posts) == 1
    assert [r.status for r in store.digests.runs(row.id)] == ["sent"]


async def test_a_run_missed_beyond_grace_is_not_posted(store: Store) -> None:
    # The daily time is two hours from now, so no run of it falls inside the grace window before now:
    # a fixed "09:00" made this test post (rightly) when it ran between 09:00 and 10:00 UTC.
    daily = (datetime.now(UTC) + timedelta(hours=2)).strftime("%H:%M")
    row = save(store, time=daily, cron=None, timezone="UTC")
    sink = RecordingSink()
    await restart_with_missed_run(store, row, timedelta(seconds=GRACE + 600), sink)
    assert sink.posts == [] and store.digests.runs(row.id) == []
    scheduler = await start(store, [row])
    assert scheduler.get_job(jobs.job_id(row.id)).next_run_time > datetime.now(UTC), "still scheduled"
    await stop(scheduler)


async def test_without_a_runner_the_job_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    await jobs.run_digest_job(12345)
    assert "no digest runner" in caplog.text
