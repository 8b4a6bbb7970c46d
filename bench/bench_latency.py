"""Latency: a story file written -> its POST /channels/{id}/messages seen by the fake Discord.

Writes N files one at a time (atomically, 100 ms apart, so the send queue is idle and this measures the
pipeline, not the rate limit). Targets: median < 200 ms, p99 < 1 s.
Usage: python bench/bench_latency.py [--count 200] [--gap 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _harness import TOKEN, FakeDiscord, machine, post_times, start_bot

from tests.storyfiles import write_story


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.1)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-latency-") as tmp,
        FakeDiscord(token=TOKEN, channel_rate=None) as fake,
    ):
        bot = start_bot(Path(tmp), fake)
        try:
            bot.wait_for_log("Watching ", timeout=60)
            written: dict[str, float] = {}
            for i in range(args.count):
                title = f"Latency probe {i}"
                written[title] = time.time()
                write_story(bot.articles, f"probe-{i:04d}.md", i, title=title)
                time.sleep(args.gap)
            fake.wait_for(lambda: len(post_times(fake)) >= args.count, timeout=60)
        finally:
            bot.stop()
    seen = post_times(fake)
    latencies = sorted((seen[t] - written[t]) * 1000 for t in written)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * len(latencies)) - 1)]
    print(f"machine: {machine()}")
    print(f"files: {len(latencies)}, gap {args.gap * 1000:.0f} ms")
    print(
        f"latency ms: min {latencies[0]:.0f}, median {p50:.0f}, p90 {latencies[int(0.9 * len(latencies))]:.0f}, "
        f"p99 {p99:.0f}, max {latencies[-1]:.0f}"
    )
    print(f"median < 200 ms: {'OK' if p50 < 200 else 'MISSED'};  p99 < 1000 ms: {'OK' if p99 < 1000 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
