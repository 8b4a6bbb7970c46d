"""Throughput: N stories dropped at once for one channel, the fake Discord enforcing 5 messages per 5 s.

Target: the bot sustains at least 90% of the limit (1 message/s) and receives no 429.
Usage: python bench/bench_throughput.py [--count 300]   (300 stories take about 5 minutes by design)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import TOKEN, FakeDiscord, machine, post_times, start_bot  # noqa: E402
from tests.storyfiles import write_story  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    limit, window = 5, 5.0
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-throughput-") as tmp,
        FakeDiscord(token=TOKEN, channel_rate=(limit, window)) as fake,
    ):
        bot = start_bot(Path(tmp), fake)
        try:
            bot.wait_for_log("Watching ", timeout=60)
            staging = Path(tmp, "staging")
            for i in range(args.count):
                write_story(staging, f"s-{i:04d}.md", i, title=f"Throughput story {i}")
            started = time.time()
            staging.rename(bot.articles / "drop")  # all of them appear at once
            fake.wait_for(lambda: len(post_times(fake)) >= args.count, timeout=args.count * 2 + 60)
            finished = time.time()
        finally:
            bot.stop()
    times = sorted(post_times(fake).values())
    sustained = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    allowed = limit / window
    created = len(fake.messages(200000000000000001))
    print(f"machine: {machine()}")
    print(f"stories: {args.count}, messages created: {created}, wall time {finished - started:.1f}s")
    print(
        f"sustained: {sustained:.3f} msg/s = {100 * sustained / allowed:.1f}% of the {limit}/{window:.0f}s limit "
        f"(target >= 90%): {'OK' if sustained >= 0.9 * allowed else 'MISSED'}"
    )
    print(f"429 responses: {fake.count_429} (target 0): {'OK' if fake.count_429 == 0 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
