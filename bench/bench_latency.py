"""Latency: a story file written -> its POST /channels/{id}/messages seen by the fake Discord.

Writes N files one at a time (atomically, 100 ms apart, so the send queue is idle and this measures the
pipeline, not the rate limit), first to the bot, then to the bare loop of bench_bare_loop.py (watchfiles at a
1 ms step -> parse -> POST, the floor on this machine), against the same fake in the same run, and prints both
and their ratio. Targets for the bot: median <= 15 ms, p99 <= 40 ms.
Usage: python bench/bench_latency.py [--count 200] [--gap 0.1] [--no-bare]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import CHANNEL, TOKEN, FakeDiscord, machine, post_times, start_bot  # noqa: E402
from tests.storyfiles import write_story  # noqa: E402

P50_TARGET_MS, P99_TARGET_MS = 15, 40


def probe(
    folder: Path, fake: FakeDiscord, prefix: str, count: int, gap: float, *, channel: int = CHANNEL, timeout: float = 60
) -> list[float]:
    """Write ``count`` stories into ``folder``; each one's latency to its post in ``channel`` in ms, sorted."""
    written: dict[str, float] = {}
    for i in range(count):
        title = f"{prefix} probe {i}"
        written[title] = time.time()
        write_story(folder, f"{prefix.lower()}-{i:04d}.md", i, title=title)
        time.sleep(gap)
    fake.wait_for(lambda: all(t in post_times(fake, channel) for t in written), timeout=timeout)
    seen = post_times(fake, channel)
    return sorted((seen[t] - written[t]) * 1000 for t in written)


def figures(latencies: list[float]) -> tuple[float, float]:
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * len(latencies)) - 1)]
    return p50, p99


def line(name: str, latencies: list[float]) -> str:
    p50, p99 = figures(latencies)
    return (
        f"{name}: min {latencies[0]:.1f}, median {p50:.1f}, p90 {latencies[int(0.9 * len(latencies))]:.1f}, "
        f"p99 {p99:.1f}, max {latencies[-1]:.1f} ms"
    )


def measure_bot(workdir: Path, fake: FakeDiscord, count: int, gap: float) -> list[float]:
    bot = start_bot(workdir, fake)
    try:
        bot.wait_for_log("Watching ", timeout=60)
        return probe(bot.articles, fake, "Bot", count, gap)
    finally:
        bot.stop()


def measure_bare(workdir: Path, fake: FakeDiscord, count: int, gap: float) -> list[float]:
    folder = workdir / "bare"
    folder.mkdir()
    command = [sys.executable, str(ROOT / "bench" / "bench_bare_loop.py"), str(folder), fake.api_base, str(CHANNEL)]
    env = {**os.environ, "DISCORD_TOKEN": TOKEN}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as loop:
        try:
            assert loop.stdout is not None and loop.stdout.readline().strip() == "ready", "the bare loop did not start"
            time.sleep(0.5)  # let watchfiles set its watches up
            return probe(folder, fake, "Bare", count, gap)
        finally:
            loop.terminate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.1)
    parser.add_argument("--no-bare", action="store_true", help="measure the bot only")
    args = parser.parse_args()
    runs: list[tuple[str, Callable[[Path, FakeDiscord, int, float], list[float]]]] = [("bot", measure_bot)]
    if not args.no_bare:
        runs.append(("bare loop", measure_bare))
    results: dict[str, list[float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-latency-") as tmp,
        FakeDiscord(token=TOKEN, channel_rate=None) as fake,
    ):
        for name, measure in runs:
            results[name] = measure(Path(tmp), fake, args.count, args.gap)
    print(f"machine: {machine()}")
    print(f"files: {args.count} each, gap {args.gap * 1000:.0f} ms")
    for name, latencies in results.items():
        print(line(f"{name:>9} latency", latencies))
    bot_p50, bot_p99 = figures(results["bot"])
    if "bare loop" in results:
        bare_p50, bare_p99 = figures(results["bare loop"])
        print(f"bot / bare loop: median x{bot_p50 / bare_p50:.1f}, p99 x{bot_p99 / bare_p99:.1f}")
    print(
        f"median <= {P50_TARGET_MS} ms: {'OK' if bot_p50 <= P50_TARGET_MS else 'MISSED'};  "
        f"p99 <= {P99_TARGET_MS} ms: {'OK' if bot_p99 <= P99_TARGET_MS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
