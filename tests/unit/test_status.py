"""The status report shared by ``/newsdesk status`` and ``newsdesk status``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.digest_spec import make_spec
from bot.render.status import render_embed, render_text
from bot.routes.planning import make_planner
from bot.status import DigestLine, channel_names, collect, for_guild, status_report
from bot.store import DeliveryState, Store
from bot.store.newsroom import NewsroomStore
from tests.storyfiles import parsed_file

CHANNEL = 123456789012345678
NEXT_RUN = 1_800_000_000.0  # 2027-01-15 08:00 UTC


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


def test_status_report_renders_for_terminal_and_discord(newsroom: NewsroomStore, store: Store, tmp_path: Path) -> None:
    store.set_meta("started_at", "1000")
    store.set_meta("heartbeat", '{"at": 1995, "every": 10}')  # a live process: "Running since" only then
    store.set_meta("last_scan", '{"at": 1100, "files": 20, "seconds": 0.5, "changed": 0}')
    report = collect(store, newsroom, queues={1: 3}, now=2000)
    text = render_text(report, now=2000)
    assert "Status: running" in text
    assert "Running since: 16m ago" in text and "20 files in 0.50s" in text and "Rejected files: 0" in text
    embed = render_embed(report, now=2000)
    assert embed["title"] == "Newsdesk status" and all(len(f["value"]) <= 1024 for f in embed["fields"])


def test_status_report_lists_digests_with_the_live_schedulers_next_runs(store: Store) -> None:
    row = store.digests.save(1, make_spec(name="morning", channel_id=CHANNEL, time="08:00"))
    report = status_report(store, queues={1: 3}, next_runs={str(row.id): NEXT_RUN}, now=2000)
    assert report.digests == [DigestLine("morning", CHANNEL, NEXT_RUN)]
    assert report.queues == {1: 3}
    assert f"morning → channel {CHANNEL}, next run 2027-01-15 08:00 UTC" in render_text(report, now=2000)
    digests = next(f for f in render_embed(report, now=2000)["fields"] if f["name"] == "Digests")
    assert digests["value"] == f"• **morning** → <#{CHANNEL}>, next <t:{int(NEXT_RUN)}:F>"


def test_status_report_reads_next_runs_from_the_job_table_without_a_scheduler(store: Store) -> None:
    digests = store.digests
    morning = digests.save(1, make_spec(name="morning", channel_id=CHANNEL, time="08:00"))
    digests.save(1, make_spec(name="evening", channel_id=CHANNEL, time="20:00"))
    assert [d.next_run for d in status_report(store).digests] == [None, None], "no job table yet: paused"
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE apscheduler_jobs (id TEXT PRIMARY KEY, next_run_time REAL)")
        conn.exec_driver_sql("INSERT INTO apscheduler_jobs VALUES (?, ?)", (str(morning.id), NEXT_RUN))
    lines = {d.name: d.next_run for d in status_report(store).digests}
    assert lines == {"morning": NEXT_RUN, "evening": None}
    assert "evening → channel" in render_text(status_report(store)) and "next run paused" in render_text(
        status_report(store)
    )


def test_status_names_channels_as_the_config_does_with_the_id_beside(store: Store) -> None:
    """``channels[].name`` labels a channel everywhere the report lists one; a channel without one is its id."""
    config = parse_config({"channels": [{"id": CHANNEL, "name": "news"}, {"id": 42}]}, {})
    names = channel_names(config.channels)
    assert names == {CHANNEL: "news"}
    planner = make_planner(lambda s: [CHANNEL, 42], announce=True, on_unpublish="delete")
    store.apply([parsed_file("a.md", 1), parsed_file("b.md", 2, publishedDateTime="2030-01-01T09:00:00Z")], planner)
    failed = store.ledger.read((1, CHANNEL))
    assert failed is not None
    store.ledger.settle(failed, DeliveryState.FAILED, last_error="Missing Access")
    store.digests.save(1, make_spec(name="morning", channel_id=CHANNEL, time="08:00"))
    now = time.time()
    report = status_report(store, now=now, names=names)
    text = render_text(report, now=now)
    assert f"  - news (channel {CHANNEL}): 1 queued, 0 posted" in text
    assert "  - channel 42: 2 queued" in text
    assert f"  - news (channel {CHANNEL}): 'Story number 1': Missing Access" in text
    assert f"→ channel 42, news (channel {CHANNEL})" in text  # the held story
    assert f"morning → news (channel {CHANNEL}), next run" in text
    fields = {f["name"]: f["value"] for f in render_embed(report, now=now)["fields"]}
    assert f"• news (<#{CHANNEL}>): 1 queued" in fields["Channels: queue, last post"]
    assert "• <#42>: 2 queued" in fields["Channels: queue, last post"]
    assert f"news (<#{CHANNEL}>) 'Story number 1': Missing Access" in fields["Failures in the last 24 h (1)"]
    assert f"**morning** → news (<#{CHANNEL}>)" in fields["Digests"]


def test_a_servers_report_keeps_only_its_own_channels_names(store: Store) -> None:
    names = {CHANNEL: "news", 42: "other-server-secret"}
    report = status_report(store, names=names)
    mine = for_guild(report, 7, {CHANNEL: 7, 42: 8})
    assert mine.names == {CHANNEL: "news"}
