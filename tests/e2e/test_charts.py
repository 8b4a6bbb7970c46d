"""Charts end to end: ``/newsdesk status`` answers with its text and a PNG of the last 24 hours, ``/newsdesk
report period: week`` with a picture of the week, and ``newsdesk status --chart PATH`` writes the same PNG."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS
from tests.e2e.test_cli import newsdesk
from tests.fakediscord import ADMIN_PERMISSIONS, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG, "a PNG signature"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def admin_command(fake: FakeDiscord, sub: str, options: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An admin runs /newsdesk SUB; returns the follow-up request that answered it (JSON and files)."""
    sent = fake.send_interaction(
        2, name="newsdesk", subcommand=sub, options=options or [], channel_id=NEWS, permissions=ADMIN_PERMISSIONS
    )
    fake.answer_for(sent)  # deferred first, then the follow-up
    pattern = rf"^/webhooks/\d+/{re.escape(sent.token)}$"
    return fake.wait_for(lambda: fake.requests_to("POST", pattern))[0]


def confirmed_posts(bot: BotProcess) -> int:
    """Posts the bot's ledger records as confirmed (read-only: the bot owns the database)."""
    with contextlib.closing(sqlite3.connect(f"file:{bot.workdir / 'data' / 'newsdesk.db'}?mode=ro", uri=True)) as db:
        return int(db.execute("SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL").fetchone()[0])


def posted_three(fake: FakeDiscord, make_bot: Callable[..., BotProcess]) -> BotProcess:
    """Two stories posted, one of them also to the AI channel; settled in the ledger before the test goes on."""
    bot = make_bot().start()
    write_story(bot.articles, "one.md", 1, title="Chips are back", topics=["AI", "Chips"])
    write_story(bot.articles, "two.md", 2, title="Rates hold", topics=["Economy"])
    fake.wait_for(lambda: confirmed_posts(bot) == 3)
    return bot


def test_status_answers_with_its_text_and_a_png_chart(fake: FakeDiscord, make_bot: Callable[..., BotProcess]) -> None:
    posted_three(fake, make_bot)
    answer = admin_command(fake, "status")
    payload, [upload] = answer["json"], answer["files"]
    assert upload["filename"] == "status.png" and upload["name"] == "files[0]"
    assert png_size(upload["data"]) == (1200, 600) and 5_000 < len(upload["data"]) < 200_000
    assert payload["attachments"][0]["filename"] == "status.png" and payload["attachments"][0]["width"] == 1200
    embed = payload["embeds"][0]
    assert embed["title"] == "Newsdesk status" and embed["image"]["url"] == "attachment://status.png"
    assert payload["content"].startswith("Last 24 h: 3 posted in 2 channels, 0 failed"), "useful without the image"
    assert payload["flags"] & 64, "ephemeral"


def test_report_week_answers_with_a_picture(fake: FakeDiscord, make_bot: Callable[..., BotProcess]) -> None:
    posted_three(fake, make_bot)
    answer = admin_command(fake, "report", [{"name": "period", "type": 3, "value": "week"}])
    [upload] = answer["files"]
    assert upload["filename"] == "week.png" and png_size(upload["data"]) == (1200, 600)
    embed = answer["json"]["embeds"][0]
    assert embed["image"]["url"] == "attachment://week.png"
    assert embed["description"].startswith("This week: 3 posts in 2 channels; busiest #news; top topics ")


def test_the_cli_writes_the_status_chart_and_names_a_path_it_cannot_write(
    tmp_path: Path, fake: FakeDiscord, make_bot: Callable[..., BotProcess]
) -> None:
    posted_three(fake, make_bot).stop()
    out = tmp_path / "chart.png"
    done = newsdesk(tmp_path, None, "", "status", "--chart", str(out))
    assert done.returncode == 0, done.stderr
    assert png_size(out.read_bytes()) == (1200, 600)
    assert f"Chart: {out}" in done.stdout and "Last 24 h: 3 posted" in done.stdout
    bad = tmp_path / "missing" / "chart.png"
    failed = newsdesk(tmp_path, None, "", "status", "--chart", str(bad))
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1].startswith(f"newsdesk: status --chart: cannot write {bad}")
