"""What the weekly report looks like in the alerts channel: the same picture and text as ``/newsdesk report``,
as a channel message whose embed shows the PNG attachment, and finding it again in the channel's history (a
footer marker: Discord returns no nonces there). Pure: no I/O, no discord.py."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.render.text import neutralize_mentions
from bot.weekly.schedule import WHEN

FILENAME = "week.png"
TITLE = "Newsdesk: the week"
COLOR = 0x2B6CB0
_REF = re.compile(r"· ref ([0-9a-f]{10})$")


def report_embed(summary: str) -> dict[str, Any]:
    """The embed ``/newsdesk report`` answers with (its picture added by whoever attaches it)."""
    return {"title": TITLE, "description": neutralize_mentions(summary)[:4000], "color": COLOR}


def weekly_ref(guild_id: int, week: str) -> str:
    """The (server, week)'s marker in the report's footer: a server's and the deployment's report may share a
    channel, so the week alone would not tell them apart."""
    return hashlib.sha256(f"weekly-report\x00{guild_id}\x00{week}".encode()).hexdigest()[:10]


def weekly_payload(summary: str, week: str, timezone: str, ref: str) -> dict[str, Any]:
    """The scheduled report's message: the embed with the picture ``files[0]``, who turns it off, and its marker."""
    embed = report_embed(summary)
    embed["image"] = {"url": f"attachment://{FILENAME}"}
    embed["footer"] = {
        "text": f"Weekly report, week of {week} · {WHEN} ({timezone}) · /newsdesk report schedule:off stops it"
        f" · ref {ref}"
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


def find_report(history: Iterable[Mapping[str, Any]], ref: str, *, author_id: int | None) -> int | None:
    """The id of the oldest message in ``history`` that is the report marked ``ref`` (by the bot, when
    ``author_id`` is known), or None."""
    found: int | None = None
    for message in history:
        author = message.get("author") or {}
        if author_id is not None and str(author.get("id")) != str(author_id):
            continue
        for embed in message.get("embeds") or ():
            footer = embed.get("footer") if isinstance(embed, Mapping) else None
            text = footer.get("text") if isinstance(footer, Mapping) else None
            match = _REF.search(text) if isinstance(text, str) else None
            if match is not None and match.group(1) == ref and embed.get("title") == TITLE:
                message_id = int(message["id"])
                found = message_id if found is None else min(found, message_id)
    return found
