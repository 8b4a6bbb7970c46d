"""Digests across shard processes: the run key (whatever fires a scheduled run, it posts once; manual runs
each get their own key) and one APScheduler job table per shard set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.digest import jobs
from bot.digest.runner import DigestRunner, scheduled_run_key
from bot.digest.spec import make_spec
from bot.sharding import make_plan
from bot.store import Store
from bot.store.digests import BASELINE_KEY
from tests.unit.test_digest_runner import CHANNEL, GUILD, RecordingSink, add

NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'test.db'}")
    s.set_meta(BASELINE_KEY, str(time.time() - 3600))
    yield s
    s.close()


def save(store: Store) -> int:
    spec = make_spec(name="daily", channel_id=CHANNEL, time="09:00", timezone="UTC")
    return store.digests.save(GUILD, spec).id


def test_a_key_is_claimed_once(store: Store) -> None:
    digests = store.digests
    digest_id = save(store)
    assert digests.claim_run(digest_id, "scheduled:1") is True
    assert digests.claim_run(digest_id, "scheduled:1") is False
    assert digests.claim_run(digest_id, "scheduled:2") is True
    assert digests.claim_run(digest_id + 1, "scheduled:1") is False, "no digest, nothing to claim"


def test_the_scheduled_key_is_the_run_time_it_stands_for(store: Store) -> None:
    row = store.digests.get(save(store))
    assert row is not None
    on_time = scheduled_run_key(row, NINE)
    assert on_time == f"scheduled:{int(NINE)}"
    assert scheduled_run_key(row, NINE + 1800) == on_time, "a late run (within grace) is the same run"
    assert scheduled_run_key(row, NINE + 86400) != on_time


async def test_two_runners_firing_the_same_scheduled_run_post_it_once(store: Store) -> None:
    add(store, 1, title="Only once")
    digest_id = save(store)
    sinks = [RecordingSink(), RecordingSink()]
    # Two processes' runners on one database, both firing the 09:00 run (one a little late).
    first = DigestRunner(store, sinks[0], clock=lambda: NINE + 1, retry_base=0.001)
    second = DigestRunner(store, sinks[1], clock=lambda: NINE + 40, retry_base=0.001)
    assert (await first.run_scheduled(digest_id)).status == "sent"
    assert (await second.run_scheduled(digest_id)).status == "duplicate"
    assert len(sinks[0].posts) == 1 and sinks[1].posts == []
    assert [r.status for r in store.digests.runs(digest_id)] == ["sent"]


async def test_manual_runs_each_have_their_own_key(store: Store) -> None:
    add(store, 1, title="First")
    digest_id = save(store)
    sink = RecordingSink()
    runner = DigestRunner(store, sink, retry_base=0.001)
    assert (await runner.run(digest_id)).status == "sent"
    add(store, 2, title="Second")
    assert (await runner.run(digest_id)).status == "sent", "a second /digest run is a new run"
    assert len(sink.posts) == 2


def test_each_shard_set_has_its_own_job_table() -> None:
    assert jobs.jobs_table("") == "apscheduler_jobs", "unsharded keeps the table it always had"
    assert jobs.jobs_table(make_plan(2, [0]).key) == "apscheduler_jobs_n2_s0"
    assert jobs.jobs_table(make_plan(2, [1]).key) != jobs.jobs_table(make_plan(2, [0]).key)


async def test_two_processes_job_tables_do_not_see_each_others_jobs(store: Store) -> None:
    digests = store.digests
    mine = digests.get(save(store))
    assert mine is not None
    zero = jobs.make_scheduler(store, grace_seconds=60, tablename=jobs.jobs_table("n2_s0"))
    one = jobs.make_scheduler(store, grace_seconds=60, tablename=jobs.jobs_table("n2_s1"))
    zero.start(paused=True)
    one.start(paused=True)
    try:
        assert jobs.reconcile_jobs(zero, [mine], grace_seconds=60) == 1
        assert jobs.reconcile_jobs(one, [], grace_seconds=60) == 0
        assert [j.id for j in zero.get_jobs()] == [jobs.job_id(mine.id)] and one.get_jobs() == []
    finally:
        zero.shutdown(wait=False)
        one.shutdown(wait=False)


async def test_the_status_report_reads_every_shard_sets_job_table(store: Store) -> None:
    digests = store.digests
    first = digests.get(save(store))
    second = digests.save(GUILD, make_spec(name="weekly", channel_id=CHANNEL, cron="0 9 * * fri"))
    assert first is not None
    schedulers = []
    for key, rows in (("n2_s0", [first]), ("n2_s1", [second])):
        scheduler = jobs.make_scheduler(store, grace_seconds=60, tablename=jobs.jobs_table(key))
        scheduler.start(paused=True)
        jobs.reconcile_jobs(scheduler, rows, grace_seconds=60)
        schedulers.append(scheduler)
    try:
        assert set(digests.next_run_times()) == {jobs.job_id(first.id), jobs.job_id(second.id)}
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=False)
