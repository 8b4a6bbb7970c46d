"""Draw docs/status-chart.png: the chart ``/newsdesk status`` attaches, from a generated sample ledger.

The picture is drawn by the bot's own code (``bot.charts.build.status_chart``) on a throwaway SQLite database
filled by ``bench/_chart_ledger.py``, so it changes when the chart does.

    .venv/bin/python docs/render_status_chart.py [--out docs/status-chart.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file from any folder, without installing the project

from bench._chart_ledger import CHANNELS, fill  # noqa: E402
from bot.charts.build import status_chart  # noqa: E402
from bot.store import Store  # noqa: E402

NOW = 1_800_000_000.0 + 15.5 * 3600  # a fixed afternoon, so the picture is the same on every run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "status-chart.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/sample.db")
        try:
            fill(store, stories=400, deliveries_count=600, now=NOW, days=1.2)
            chart = status_chart(store, names=CHANNELS, now=NOW)
        finally:
            store.close()
    args.out.write_bytes(chart.png)
    print(f"{args.out}: {len(chart.png) // 1024} KB. {chart.summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
