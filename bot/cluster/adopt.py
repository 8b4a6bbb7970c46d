"""Adopting a post that reached Discord before its sender died, instead of posting it again.

Discord remembers a message nonce only for a few minutes, so a delivery found in flight (claimed by a member that
died, or left claimed by this process's previous life on SQLite) is first looked for in the channel's recent
messages. History carries no nonces: the story's link identifies the message (the embed's ``url``, the "Read
story" button, or the link in a compact post's text). Pure: the caller fetches the messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HISTORY_LIMIT = 50  # GET /channels/{id}/messages?limit=50: a dead sender's last posts are among the newest


def _links(message: Mapping[str, Any]) -> Iterable[str]:
    for embed in message.get("embeds") or ():
        if isinstance(embed, Mapping) and isinstance(embed.get("url"), str):
            yield embed["url"]
    for row in message.get("components") or ():
        for item in (row.get("components") or ()) if isinstance(row, Mapping) else ():
            if isinstance(item, Mapping) and isinstance(item.get("url"), str):
                yield item["url"]


def find_posted(messages: Iterable[Mapping[str, Any]], link: str, *, author_id: int | None = None) -> int | None:
    """The id of the newest message (by the bot, when ``author_id`` is given) that carries ``link``, or None."""
    if not link:
        return None
    found: list[int] = []
    for message in messages:
        author = message.get("author") or {}
        if author_id is not None and str(author.get("id")) != str(author_id):
            continue
        content = message.get("content") or ""
        if link in _links(message) or (isinstance(content, str) and link in content.split()):
            found.append(int(message["id"]))
    return max(found) if found else None
