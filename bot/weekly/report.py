"""What the weekly report looks like in the alerts channel: the same picture and text as ``/newsdesk report``,
as a channel message whose embed shows the PNG attachment. Pure: no I/O, no discord.py."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.render.text import neutralize_mentions
from bot.weekly.schedule import WHEN

FILENAME = "week.png"
TITLE = "Newsdesk: the week"
COLOR = 0x2B6CB0


def report_embed(summary: str) -> dict[str, Any]:
    """The embed ``/newsdesk report`` answers with (its picture added by whoever attaches it)."""
    return {"title": TITLE, "description": neutralize_mentions(summary)[:4000], "color": COLOR}


def weekly_payload(summary: str, week: str, timezone: str) -> dict[str, Any]:
    """The scheduled report's message: the embed with the picture ``files[0]`` and who turns it off."""
    embed = report_embed(summary)
    embed["image"] = {"url": f"attachment://{FILENAME}"}
    embed["footer"] = {
        "text": f"Weekly report, week of {week} · {WHEN} ({timezone}) · /newsdesk report schedule:off stops it"
    }
    return {
        "content": "",
        "embeds": [embed],
        "attachments": [{"id": 0, "filename": FILENAME}],
        "allowed_mentions": {"parse": []},
    }


def weekly_nonce(guild_id: int, week: str) -> str:
    """One nonce per (server, week): should a send be retried, Discord drops the second within its window."""
    return "wk" + hashlib.sha256(f"{guild_id}:{week}".encode()).hexdigest()[:23]
