"""DM fan-out: one story for N members who follow its topic (10,000 by default), the real bot against the fake
Discord enforcing 50 requests/s in all (Discord's global limit, 429 beyond it).

Each member costs two requests the first time (``POST /users/@me/channels``, remembered, then the message), so
the floor is 2 N / 50 s. While the DMs go out, a few channel stories are dropped into the folder: their file → post
latency is compared with the same stories posted on an idle bot (DMs take low-priority tokens: channel posts first).
Reports: time to the last DM vs the floor, 429s, the bot's peak memory (bench/_memory.py), channel latency.
Usage: python bench/bench_dm_fanout.py [--members 10000] [--channel-stories 5] [--second-story]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import CHANNEL, TOKEN, FakeDiscord, machine, post_times, start_bot  # noqa: E402
from bench._memory import TreeSampler  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.personal_rows import follow_row, insert_rows  # noqa: E402
from tests.storyfiles import write_story  # noqa: E402

GLOBAL_RATE = 50


def channel_latencies(fake: FakeDiscord, bot_articles: Path, first: int, count: int, gap: float) -> list[float]:
    """Drop ``count`` stories no member follows (topic "Local"), ``gap`` s apart; file written → POST seen."""
    written: dict[str, float] = {}
    for n in range(first, first + count):
        title = f"Channel story {n}"
        write_story(bot_articles, f"channel/{n}.md", n, title=title, topics=["Local"])
        written[title] = time.time()
        time.sleep(gap)
    fake.wait_for(lambda: all(t in post_times(fake) for t in written), timeout=600)
    seen = post_times(fake)
    return [seen[t] - written[t] for t in written]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--channel-stories", type=int, default=5)
    parser.add_argument(
        "--second-story", action="store_true", help="then a second story: the DM channels are remembered (N / 50 s)"
    )
    args = parser.parse_args()
    members = list(range(10**15, 10**15 + args.members))
    with tempfile.TemporaryDirectory() as tmp, FakeDiscord(token=TOKEN, channel_rate=(50, 1.0)) as fake:
        workdir = Path(tmp)
        (workdir / "data").mkdir()
        url = f"sqlite:///{workdir / 'data' / 'newsdesk.db'}"
        Store.open(url).close()
        insert_rows(url, follow=[follow_row(u, "AI") for u in members])
        bot = start_bot(workdir, fake)
        try:
            bot.wait_for_log("deliveries pending", timeout=120)
            idle = channel_latencies(fake, bot.articles, 5000, args.channel_stories, 0.5)
            sampler = TreeSampler(bot.proc.pid if bot.proc else None).start()
            start_429 = fake.count_429
            dropped = time.time()
            write_story(bot.articles, "fanout.md", 1, title="Fan-out story", topics=["AI"])
            time.sleep(5)  # the fan-out is under way
            busy = channel_latencies(fake, bot.articles, 6000, args.channel_stories, 2.0)
            # The fake's own DM counter, not its request log: copying a log of 2 N entries under the fake's lock
            # every second stalled its handlers, and requests released together landed in one second (global 429s).
            dms = fake.server.dms
            fake.wait_for(lambda: dms.posted >= len(members), timeout=3600, interval=0.5)
            last = dms.last_posted_at
            second = None
            if args.second_story:
                again = time.time()
                write_story(bot.articles, "fanout2.md", 2, title="Second fan-out story", topics=["AI"])
                fake.wait_for(lambda: dms.posted >= 2 * len(members), timeout=3600, interval=0.5)
                second = dms.last_posted_at - again
            peak = sampler.stop()
        finally:
            bot.stop()
        floor = 2 * len(members) / GLOBAL_RATE
        took = last - dropped
        print(f"machine: {machine()}")
        print(f"members: {len(members)}; requests per DM: 2 (channel opened once, then the message)")
        basis = f"2 x {len(members)} / {GLOBAL_RATE} per s"
        print(f"time to the last DM: {took:.1f} s; floor {floor:.1f} s ({basis}); {took / floor:.2f}x")
        if second is not None:
            floor2 = len(members) / GLOBAL_RATE
            print(
                f"second story (DM channels remembered, 1 request per DM): {second:.1f} s; "
                f"floor {floor2:.1f} s ({len(members)} / {GLOBAL_RATE} per s); {second / floor2:.2f}x"
            )
        print(f"429 responses during the run: {fake.count_429 - start_429}")
        for method, path, scope in fake.limited:
            print(f"  429 ({scope}): {method} {path}")
        print(f"bot peak memory: {peak.root_hwm_mb:.0f} MB (own), tree PSS {peak.tree_pss_mb:.0f} MB")
        for label, found in (("idle", idle), ("during the fan-out", busy)):
            median, worst = statistics.median(found) * 1000, max(found) * 1000
            print(f"channel post latency {label}: median {median:.0f} ms, max {worst:.0f} ms")
        print(f"channel {CHANNEL}: {len(post_times(fake))} stories posted")


if __name__ == "__main__":
    main()
