"""Shared set-up for the benchmarks that run the real bot against the fake Discord."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.botprocess import TOKEN, BotProcess  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402

CHANNEL = 200000000000000001


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def start_bot(workdir: Path, fake: FakeDiscord, **articles: Any) -> BotProcess:
    (workdir / "articles").mkdir(parents=True, exist_ok=True)
    config = {
        "articles": {"path": str(workdir / "articles"), "backfill": "none", "rescan_seconds": 3600, **articles},
        "storage": {"url": f"sqlite:///{workdir / 'data' / 'newsdesk.db'}"},
        "channels": [{"id": CHANNEL, "name": "news", "topics": "*"}],
        "log_level": "INFO",
    }
    bot = BotProcess(workdir, fake, config)
    bot.start(ready=False)
    fake.wait_for(lambda: fake.connected_sessions >= 1, timeout=30)
    return bot


def post_times(fake: FakeDiscord, channel: int = CHANNEL) -> dict[str, float]:
    """Story title -> arrival time of its first POST to ``channel`` at the fake."""
    seen: dict[str, float] = {}
    for request in fake.requests:
        if request["method"] == "POST" and request["path"] == f"/channels/{channel}/messages" and request["json"]:
            title = request["json"]["embeds"][0]["title"]
            seen.setdefault(title, request["time"])
    return seen


__all__ = ["CHANNEL", "TOKEN", "FakeDiscord", "machine", "post_times", "start_bot"]
