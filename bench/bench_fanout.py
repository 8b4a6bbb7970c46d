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
import itertools
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import TOKEN, FakeDiscord, machine  # noqa: E402
from tests.botprocess import BotProcess  # noqa: E402
from tests.fakediscord import ChannelSpec, second_guild  # noqa: E402
from tests.fakediscord.world import default_guild  # noqa: E402
from tests.pgserver import PostgresServer, free_port  # noqa: E402
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


def scoped_429s(port: int) -> dict[str, float]:
    """The process's own count of the 429s it was answered, by scope (every response, discord.py's retries too)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        s.labels["scope"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "newsdesk_discord_429_total"
    }


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
        ports = [free_port() for _ in shard_args]
        for n, (shard, port) in enumerate(zip(shard_args, ports, strict=True)):
            (workdir / f"p{n}").mkdir()
            bots.append(BotProcess(workdir / f"p{n}", fake, {**config, "metrics": {"port": port}}))
            bots[-1].start(ready=False, args=shard)
        try:
            for bot in bots:
                bot.wait_for_log("Connected to Discord", timeout=120)
            # The start-up channel check (3 requests a channel) must be over before the clock starts, and in a
            # cluster the members must have seen each other (a few heartbeats).
            fake.wait_for(lambda: len(fake.requests_to("GET", r"^/guilds/\d+/members/")) >= total, timeout=120)
            time.sleep(3.0)
            before_429 = fake.count_429
            before_scoped = [scoped_429s(port) for port in ports]
            started = time.time()
            write_story(articles, "fanout.md", 1, title="One story, everywhere")
            fake.wait_for(lambda: sum(1 for cid in owner if fake.message_count(cid)) >= total, timeout=120)
            posts = [r for r in fake.requests_to("POST", r"^/channels/\d+/messages") if r["time"] >= started]
            last = max(r["time"] for r in posts)
            first = min(r["time"] for r in posts)
            guild_of = {f"/channels/{cid}/messages": gid for cid, gid in owner.items()}
            per_guild = {
                gid: sorted(r["time"] - started for r in posts if guild_of.get(r["path"]) == gid)
                for gid in sorted(set(owner.values()))
            }
            time.sleep(0.5)  # a late duplicate or retry would show by now
            after_scoped = [scoped_429s(port) for port in ports]
        finally:
            for bot in bots:
                bot.stop()
        posted = sum(1 for cid in owner if fake.message_count(cid) == 1)
        rate_limited = fake.count_429 - before_429
        seen = {
            scope: sum(
                after.get(scope, 0) - before.get(scope, 0)
                for before, after in zip(before_scoped, after_scoped, strict=True)
            )
            for scope in ("global", "shared", "user")
        }
        startup_429 = before_429
    allowed = total / GLOBAL_RATE
    elapsed = last - started
    how = "two processes, one shard each (PostgreSQL)" if args.cluster else "one process holding both (SQLite)"
    print(f"machine: {machine()}")
    print(f"channels: {total} over 2 guilds on shards 0 and 1, {how}")
    print(f"posted: {posted}/{total} (target all): {'OK' if posted == total else 'MISSED'}")
    print(
        f"429 responses during the fan-out: {rate_limited} (target 0): {'OK' if rate_limited == 0 else 'MISSED'}; "
        f"the processes' own /metrics counted global {seen['global']:.0f}, shared {seen['shared']:.0f}, "
        f"user {seen['user']:.0f}"
    )
    startup = {scope: sum(b.get(scope, 0) for b in before_scoped) for scope in ("global", "shared", "user")}
    print(
        f"429 responses during start-up (channel checks): {startup_429}; counted by the processes: global "
        f"{startup['global']:.0f}, shared {startup['shared']:.0f}, user {startup['user']:.0f}"
    )
    print(
        f"drop -> last POST: {elapsed:.2f}s (first POST after {first - started:.3f}s); the global limit allows "
        f"{allowed:.1f}s: {elapsed / allowed:.2f}x (target <= 1.2x): {'OK' if elapsed <= 1.2 * allowed else 'MISSED'}"
    )
    for n, (gid, times) in enumerate(per_guild.items()):
        if times:
            rate = (len(times) - 1) / (times[-1] - times[0]) if times[-1] > times[0] else float("nan")
            gaps = sorted(b - a for a, b in itertools.pairwise(times))
            print(
                f"  shard {n} (guild {gid}): {len(times)} POSTs from {times[0]:.2f}s to {times[-1]:.2f}s, "
                f"{rate:.1f}/s; gaps between POSTs: median {gaps[len(gaps) // 2] * 1000:.0f} ms, "
                f"max {gaps[-1] * 1000:.0f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
