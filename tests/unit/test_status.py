"""The status report, read from the database, for the terminal and for Discord."""

from __future__ import annotations

from pathlib import Path

from bot.status import collect, render_embed, render_text
from bot.store.newsroom import NewsroomStore


def test_status_report_renders_for_terminal_and_discord(newsroom: NewsroomStore, tmp_path: Path) -> None:
    store = newsroom.store
    store.set_meta("started_at", "1000")
    store.set_meta("last_scan", '{"at": 1100, "files": 20, "seconds": 0.5, "changed": 0}')
    report = collect(store, newsroom, queues={1: 3}, now=2000)
    text = render_text(report, now=2000)
    assert "Running since: 16m ago" in text and "20 files in 0.50s" in text and "Rejected files: 0" in text
    embed = render_embed(report, now=2000)
    assert embed["title"] == "Newsdesk status" and all(len(f["value"]) <= 1024 for f in embed["fields"])
