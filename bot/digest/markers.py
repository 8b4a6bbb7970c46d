"""The marker that identifies each message of a digest run in the channel's history.

Discord does not return nonces in message history, so after a crash between posting and recording, the only way
to know which of a run's messages already reached the channel is something visible in the message itself: the
footer of each message's last embed names the run (a short hash of digest id and run key) and the part
(``Newsdesk digest · part 1 of 2 · ref 3fa9c01b2d``). Pure: the caller fetches the messages.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.digest.render import FOOTER_TEXT, DigestMessage

_PART = re.compile(r"part (\d+) of (\d+) · ref ([0-9a-f]{10})\b")


def run_ref(digest_id: int, run_key: str) -> str:
    return hashlib.sha256(f"digest-run\x00{digest_id}\x00{run_key}".encode()).hexdigest()[:10]


def mark(messages: Sequence[DigestMessage], ref: str) -> list[DigestMessage]:
    """The messages with the run's marker as the footer of each one's last embed (the only footer left)."""
    marked: list[DigestMessage] = []
    for number, message in enumerate(messages, 1):
        payload = copy.deepcopy(message.payload)
        embeds: list[dict[str, Any]] = payload.get("embeds") or []
        for embed in embeds:
            embed.pop("footer", None)
        if embeds:
            embeds[-1]["footer"] = {"text": f"{FOOTER_TEXT} · part {number} of {len(messages)} · ref {ref}"}
        marked.append(DigestMessage(payload, message.story_ids))
    return marked


def find_marked(history: Iterable[Mapping[str, Any]], ref: str, *, author_id: int | None = None) -> dict[int, int]:
    """Part number (1-based) → id of the message of run ``ref`` carrying it (by the bot, when ``author_id`` is
    given); the oldest one should a part somehow be there twice."""
    found: dict[int, int] = {}
    for message in history:
        author = message.get("author") or {}
        if author_id is not None and str(author.get("id")) != str(author_id):
            continue
        for embed in message.get("embeds") or ():
            footer = embed.get("footer") if isinstance(embed, Mapping) else None
            text = footer.get("text") if isinstance(footer, Mapping) else None
            match = _PART.search(text) if isinstance(text, str) else None
            if match is not None and match.group(3) == ref:
                part, message_id = int(match.group(1)), int(message["id"])
                found[part] = min(found.get(part, message_id), message_id)
    return found
