"""Chart render time: the 24-hour status chart and the weekly report, read and drawn from a SQLite ledger of
5,000 stories and 20,000 deliveries over a week (``bench/_chart_ledger.py``), as ``/newsdesk status`` and
``/newsdesk report`` do it (``bot.charts.build``): median and max over N renders, the first (matplotlib's import
and font cache) apart, and the process's peak memory.

    .venv/bin/python bench/bench_charts.py [--renders 20] [--stories 5000] [--deliveries 20000]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._chart_ledger import CHANNELS, fill
from bot.charts.build import Chart, status_chart, weekly_chart
from bot.store import Store


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(render: Callable[[], Chart], count: int) -> tuple[float, list[float], int]:
    started = time.perf_counter()
    size = len(render().png)
    first = time.perf_counter() - started
    times = []
    for _ in range(count):
        started = time.perf_counter()
        render()
        times.append(time.perf_counter() - started)
    return first, times, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--deliveries", type=int, default=20000)
    args = parser.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        try:
            fill(store, stories=args.stories, deliveries_count=args.deliveries, now=now)
            before = peak_mb()
            print(f"{platform.node()} {platform.machine()}, Python {platform.python_version()}; ledger ready")
            for name, render in (
                ("status (24 h)", lambda: status_chart(store, names=CHANNELS, now=now)),
                ("weekly report", lambda: weekly_chart(store, names=CHANNELS, now=now)),
            ):
                first, times, size = timed(render, args.renders)
                print(
                    f"{name}: first {first * 1000:.0f} ms, then median {statistics.median(times) * 1000:.0f} ms, "
                    f"max {max(times) * 1000:.0f} ms over {args.renders}; PNG {size // 1024} KB"
                )
            print(f"peak RSS {peak_mb():.0f} MB ({before:.0f} MB before the first chart)")
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
