"""The status report's cluster section: each live process, the standbys, and each shard's queue depth; shown
only where several processes share the database (or on PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path

from bot.render.status import render_embed, render_text
from bot.routes.planning import make_planner
from bot.status import status_report
from bot.store import DeliveryState, Store
from bot.store.cluster import Member
from tests.storyfiles import parsed_file

GUILD_0, GUILD_1 = 0 << 22, 1 << 22  # (guild_id >> 22) % 2 → shards 0 and 1


def test_status_shows_the_live_members_standbys_and_queue_depth_per_shard(store: Store) -> None:
    now = time.time()
    planner = make_planner(lambda s: [7, 8], announce=True, on_unpublish="delete")
    store.apply([parsed_file("a.md", 1), parsed_file("b.md", 2)], planner)
    store.channel_guilds.remember({7: GUILD_0 + 5, 8: GUILD_1 + 5})
    cluster = store.cluster
    cluster.beat(Member("m1", "alpha", 11, 2, (0,), (0,), True, False, now - 100, now - 2, 5.0))
    cluster.beat(Member("m2", "beta", 22, 2, (1,), (1,), False, False, now - 100, now - 1, 5.0))
    cluster.beat(Member("m3", "gamma", 33, 2, (0,), (), False, True, now - 50, now - 3, 5.0))
    cluster.beat(Member("gone", "delta", 44, 2, (1,), (1,), False, False, now - 900, now - 600, 5.0))
    sent = store.ledger.read((1, 8))
    assert sent is not None
    store.ledger.settle(sent, DeliveryState.SENT)
    report = status_report(store, now=now)
    text = render_text(report, now)
    assert "Cluster: 3 live processes" in text
    assert "alpha pid 11: shards 0, ingest (last heartbeat 2s ago)" in text
    assert "beta pid 22: shards 1 (last heartbeat 1s ago)" in text
    assert "gamma pid 33: standby, waiting for shards 0" in text
    assert "delta" not in text
    assert "Queue depth per shard: shard 0: 2, shard 1: 1" in text
    fields = {f["name"]: f["value"] for f in render_embed(report, now)["fields"]}
    assert "gamma pid 33: standby" in fields["Cluster (3 live)"]
    assert fields["Queue depth per shard"] == "shard 0: 2, shard 1: 1"


def one_member(store: Store, now: float) -> None:
    store.cluster.beat(Member("m1", "alpha", 11, 1, (0,), (0,), True, False, now - 100, now - 2, 5.0))


def test_a_lone_sqlite_process_shows_no_cluster_lines(tmp_path: Path) -> None:
    """One SQLite process (its lock file allows no other): no "Cluster: 1 live process", no shard queue depth."""
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        now = time.time()
        one_member(store, now)
        report = status_report(store, now=now)
        text = render_text(report, now)
        embed = render_embed(report, now)
    finally:
        store.close()
    assert not report.clustered
    assert "Cluster" not in text and "live process" not in text and "Queue depth" not in text and "shard" not in text
    assert "alpha" not in text
    assert not [f for f in embed["fields"] if f["name"].startswith(("Cluster", "Queue depth"))]
    assert [f["name"] for f in embed["fields"]][-1] == "Rejected files (0)", "the deployment's other facts stay"


def test_an_empty_sqlite_database_says_nothing_of_a_cluster(tmp_path: Path) -> None:
    """``newsdesk status`` before any run: no "Cluster: 0 live processes", no "shard 0: 0"."""
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        text = render_text(status_report(store))
    finally:
        store.close()
    assert "Cluster" not in text and "Queue depth" not in text


def test_one_process_on_postgresql_still_shows_the_cluster(store: Store) -> None:
    """PostgreSQL is where processes share a database: its cluster lines show even for one, on SQLite only for
    two or more (test_status_shows_the_live_members_standbys_and_queue_depth_per_shard)."""
    now = time.time()
    one_member(store, now)
    report = status_report(store, now=now)
    text = render_text(report, now)
    fields = {f["name"]: f["value"] for f in render_embed(report, now)["fields"]}
    assert report.clustered == (store.backend.name == "postgresql")
    if report.clustered:
        assert "Cluster: 1 live process\n  - alpha pid 11: shards 0, ingest" in text
        assert "Queue depth per shard: shard 0: 0" in text
        assert "alpha pid 11" in fields["Cluster (1 live)"]
    else:
        assert "Cluster" not in text and "Cluster (1 live)" not in fields
