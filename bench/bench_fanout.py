"""Fan-out: one story routed to 200 channels across two shards (two guilds, 100 channels each), the fake Discord
enforcing 5 messages per 5 s per channel and 50 requests/s in all (Discord's global 429 when exceeded).

Two modes:
- ``--single`` (default): one process holds both shards on SQLite (``--shard-count 2 --shard-ids 0,1``).
- ``--cluster``: two processes on one PostgreSQL database (a throw-away server, ``tests/pgserver.py``), one shard
  each; each paces itself with its fair share of the global limit (``bot/cluster/fairshare.py``).

Targets: all 200 posted, 0 responses 429 (global ones counted apart), time from the drop to the last POST within
1.2x of what the global limit allows (200 requests / 50 per s = 4 s).
Usage: python bench/bench_fanout.py [--cluster] [--channels-per-guild 100]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import TOKEN, FakeDiscord, machine  # noqa: E402
from tests.botprocess import BotProcess  # noqa: E402
from tests.fakediscord import ChannelSpec, second_guild  # noqa: E402
from tests.fakediscord.world import default_guild  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402
from tests.storyfiles import write_story  # noqa: E402

GLOBAL_RATE = 50  # requests per second, the whole bot
FIRST_CHANNEL = 300000000000000000


def world(per_guild: int) -> tuple[list[Any], dict[int, int]]:
    """Both guilds, each with ``per_guild`` extra text channels; channel id -> guild id."""
    guilds = [default_guild(), second_guild()]
    owner: dict[int, int] = {}
    for g, guild in enumerate(guilds):
        for i in range(per_guild):
            cid = FIRST_CHANNEL + g * 10_000 + i
            guild.channels.append(ChannelSpec(id=cid, name=f"fan-{g}-{i}", position=10 + i))
            owner[cid] = guild.id
    return guilds, owner


@contextlib.contextmanager
def storage(cluster: bool, workdir: Path) -> Iterator[dict[str, Any]]:
    """The ``storage:`` section: a SQLite file, or a fresh database on a throw-away PostgreSQL server."""
    if not cluster:
        yield {"url": f"sqlite:///{workdir / 'data' / 'newsdesk.db'}"}
        return
    with PostgresServer() as server:
        # A 1 s heartbeat, as the cluster e2e tests: the members see each other within a second.
        yield {"url": server.create_database(), "heartbeat_seconds": 1}


def global_429s(fake: FakeDiscord, since: float) -> int:
    """429s the fake answered for the global limit (the others are per-route or per-channel)."""
    return sum(1 for r in fake.requests if r["status"] == 429 and r["time"] >= since and r.get("global"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels-per-guild", type=int, default=100)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--single", action="store_true", help="one process, both shards, SQLite (the default)")
    mode.add_argument("--cluster", action="store_true", help="two processes, one shard each, PostgreSQL")
    args = parser.parse_args()
    guilds, owner = world(args.channels_per_guild)
    total = len(owner)
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-fanout-") as tmp,
        storage(args.cluster, Path(tmp)) as store_section,
        FakeDiscord(
            token=TOKEN, guilds=guilds, shard_count=2, channel_rate=(5, 5.0), global_rate=(GLOBAL_RATE, 1.0)
        ) as fake,
    ):
        workdir = Path(tmp)
        articles = workdir / "articles"
        articles.mkdir()
        config = {
            "articles": {"path": str(articles), "backfill": "none", "rescan_seconds": 3600},
            "storage": store_section,
            "channels": [
                {"id": cid, "name": f"fan-{i}", "topics": "*", "guild": gid}
                for i, (cid, gid) in enumerate(owner.items())
            ],
            "log_level": "INFO",
        }
        if args.cluster:
            shard_args = [["--shard-count", "2", "--shard-ids", "0"], ["--shard-count", "2", "--shard-ids", "1"]]
        else:
            shard_args = [["--shard-count", "2", "--shard-ids", "0,1"]]
        bots = []
        for n, shard in enumerate(shard_args):
            (workdir / f"p{n}").mkdir()
            bots.append(BotProcess(workdir / f"p{n}", fake, config))
            bots[-1].start(ready=False, args=shard)
        try:
            for bot in bots:
                bot.wait_for_log("Connected to Discord", timeout=120)
            # The start-up channel check (3 requests a channel) must be over before the clock starts, and in a
            # cluster the members must have seen each other (a few heartbeats).
            fake.wait_for(lambda: len(fake.requests_to("GET", r"^/guilds/\d+/members/")) >= total, timeout=120)
            time.sleep(3.0)
            before_429 = fake.count_429
            started = time.time()
            write_story(articles, "fanout.md", 1, title="One story, everywhere")
            fake.wait_for(lambda: sum(1 for cid in owner if fake.message_count(cid)) >= total, timeout=120)
            posts = [r for r in fake.requests_to("POST", r"^/channels/\d+/messages") if r["time"] >= started]
            last = max(r["time"] for r in posts)
            first = min(r["time"] for r in posts)
            time.sleep(0.5)  # a late duplicate or retry would show by now
        finally:
            for bot in bots:
                bot.stop()
        posted = sum(1 for cid in owner if fake.message_count(cid) == 1)
        rate_limited = fake.count_429 - before_429
        global_limited = global_429s(fake, started)
        startup_429 = before_429
    allowed = total / GLOBAL_RATE
    elapsed = last - started
    how = (
        "two processes, one shard each (PostgreSQL)"
        if args.cluster
        else "one process holding both (SQLite)"
    )
    print(f"machine: {machine()}")
    print(f"channels: {total} over 2 guilds on shards 0 and 1, {how}")
    print(f"posted: {posted}/{total} (target all): {'OK' if posted == total else 'MISSED'}")
    print(
        f"429 responses during the fan-out: {rate_limited}, of them global: {global_limited} (target 0): "
        f"{'OK' if rate_limited == 0 else 'MISSED'}"
    )
    print(f"429 responses during start-up (channel checks): {startup_429}")
    print(
        f"drop -> last POST: {elapsed:.2f}s (first POST after {first - started:.3f}s); the global limit allows "
        f"{allowed:.1f}s: {elapsed / allowed:.2f}x (target <= 1.2x): {'OK' if elapsed <= 1.2 * allowed else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
