"""Cluster latency: a story file written -> its post seen by the fake Discord, through PostgreSQL and NOTIFY.

Both runs use the same configuration: one channel table routing every story to NEWS (first guild, shard 0) and
WORLD (second guild, shard 1), so each file means the same work, two posts; only WORLD's posts are measured.
- Cluster: two processes over one PostgreSQL database, one shard each. The first takes the ingest role and plans;
  WORLD belongs to the second, so every measured post travels ingest holder -> ledger -> NOTIFY -> the other
  process -> Discord.
- Single: one process on SQLite holding both shards (``--shard-count 2``), planning and posting both channels.
Both run in the same invocation against the same fake, one after the other, so the only difference is one process
on SQLite versus two on PostgreSQL + NOTIFY. Prints min/median/p90/p99/max of each and the ratio of the medians.
Target: cluster median <= 1.5 x the SQLite median.
Usage: python bench/bench_cluster_latency.py [--count 100] [--gap 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import TOKEN, FakeDiscord, machine  # noqa: E402
from bench.bench_latency import figures, line, probe  # noqa: E402
from tests.botprocess import BotProcess  # noqa: E402
from tests.fakediscord import DEFAULT_GUILD_ID, SECOND_GUILD_CHANNELS, second_guild  # noqa: E402
from tests.fakediscord.world import default_guild  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402

NEWS = 200000000000000001
WORLD = SECOND_GUILD_CHANNELS[0][1]
RATIO_TARGET = 1.5


def bot(workdir: Path, fake: FakeDiscord, url: str, channels: list[dict[str, Any]]) -> BotProcess:
    (workdir / "articles").mkdir(parents=True, exist_ok=True)
    config = {
        "articles": {"path": str(workdir / "articles"), "backfill": "none", "rescan_seconds": 3600},
        "storage": {"url": url, "heartbeat_seconds": 2},
        "channels": channels,
        "log_level": "INFO",
    }
    return BotProcess(workdir, fake, config)


# The same channel table for both runs: every story goes to a channel in each guild, so to each shard.
CHANNELS: list[dict[str, Any]] = [
    {"id": NEWS, "name": "news", "topics": "*", "guild": DEFAULT_GUILD_ID},
    {"id": WORLD, "topics": "*"},
]


def measure_sqlite(tmp: Path, fake: FakeDiscord, count: int, gap: float) -> list[float]:
    work = tmp / "sqlite"
    one = bot(work, fake, f"sqlite:///{work / 'data' / 'newsdesk.db'}", CHANNELS)
    one.start(args=["--shard-count", "2"])  # both shards, so both guilds, in this one process
    try:
        return probe(one.articles, fake, "Solo", count, gap, channel=WORLD, timeout=120)
    finally:
        one.stop()


def measure_cluster(tmp: Path, fake: FakeDiscord, url: str, count: int, gap: float) -> list[float]:
    work = tmp / "cluster"
    ingest, sender = bot(work, fake, url, CHANNELS), bot(work, fake, url, CHANNELS)
    ingest.start(args=["--shard-count", "2", "--shard-ids", "0"])
    ingest.wait_for_log("Holding the ingest role", timeout=60)
    sender.start(args=["--shard-count", "2", "--shard-ids", "1", "--no-ingest"])
    # Steady state: a process that just joined keeps to a small share of the global limit until every live member
    # has counted it (a heartbeat of each, 2 s here); that start-up ramp is not the file -> post latency.
    sender.wait_for_log("Every live member counts this process now", timeout=60)
    try:
        return probe(ingest.articles, fake, "Cluster", count, gap, channel=WORLD, timeout=120)
    finally:
        sender.stop()
        ingest.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.1)
    args = parser.parse_args()
    guilds = [default_guild(), second_guild()]
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-cluster-latency-") as tmp,
        PostgresServer() as server,
        FakeDiscord(token=TOKEN, channel_rate=None, guilds=guilds, shard_count=2) as fake,
    ):
        solo = measure_sqlite(Path(tmp), fake, args.count, args.gap)
        cluster = measure_cluster(Path(tmp), fake, server.create_database(), args.count, args.gap)
    print(f"machine: {machine()}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"files: {args.count} each, gap {args.gap * 1000:.0f} ms; measured channel WORLD (second guild, shard 1)")
    print(line("single process, SQLite  ", solo))
    print(line("two processes, PG+NOTIFY", cluster))
    ratio = figures(cluster)[0] / figures(solo)[0]
    verdict = "OK" if ratio <= RATIO_TARGET else "MISSED"
    print(f"cluster / single median: x{ratio:.2f} (target <= x{RATIO_TARGET}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
