"""Adopting a post that reached Discord before its sender died, instead of posting it again.

Discord remembers a message nonce only for a few minutes, and forum posts, webhook messages, threads and
crossposts have none, so a delivery found in flight (claimed by a member that died, left claimed by this
process's previous life, or marked as being sent before a call that carries no nonce) is first looked for. History
carries no nonces: the story's link identifies the message (the embed's ``url``, the "Read story" button, or the
link in a compact post's text), and its author (the bot, or the channel's Newsdesk webhook) says it is ours. The
functions are pure (the caller fetches the messages and threads); :class:`Adopter` reads a channel's history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

log = logging.getLogger(__name__)

HISTORY_LIMIT = 50  # GET /channels/{id}/messages?limit=50: a dead sender's last posts are among the newest
FORUM_CANDIDATES = 5  # forum posts whose starter message is read: those named like the story, then the newest
CROSSPOSTED = 1 << 0  # message flag: published to the servers following an announcement channel

Message = Mapping[str, Any]


def _links(message: Message) -> Iterable[str]:
    for embed in message.get("embeds") or ():
        if isinstance(embed, Mapping) and isinstance(embed.get("url"), str):
            yield embed["url"]
    for row in message.get("components") or ():
        for item in (row.get("components") or ()) if isinstance(row, Mapping) else ():
            if isinstance(item, Mapping) and isinstance(item.get("url"), str):
                yield item["url"]


def carries(message: Message, link: str) -> bool:
    """Whether the message is a post of ``link`` (its embed, a button, or a word of its text)."""
    if not link:
        return False
    content = message.get("content") or ""
    return link in _links(message) or (isinstance(content, str) and link in content.split())


def is_ours(message: Message, *, author_id: int | None = None, webhook_id: int | None = None) -> bool:
    """Sent by the bot (``author_id``) or through our webhook (``webhook_id``); neither given: anyone's."""
    if webhook_id is not None:
        return str(message.get("webhook_id")) == str(webhook_id)
    if author_id is not None:
        return str((message.get("author") or {}).get("id")) == str(author_id) and not message.get("webhook_id")
    return True


def find_message(
    messages: Iterable[Message], link: str, *, author_id: int | None = None, webhook_id: int | None = None
) -> Message | None:
    """The newest message of ours that carries ``link``, or None."""
    found = [m for m in messages if is_ours(m, author_id=author_id, webhook_id=webhook_id) and carries(m, link)]
    return max(found, key=lambda m: int(m["id"])) if found else None


def find_posted(
    messages: Iterable[Message], link: str, *, author_id: int | None = None, webhook_id: int | None = None
) -> int | None:
    """The id of the newest message (by the bot, when ``author_id`` is given) that carries ``link``, or None."""
    found = find_message(messages, link, author_id=author_id, webhook_id=webhook_id)
    return None if found is None else int(found["id"])


def forum_candidates(threads: Iterable[Message], forum_id: int, name: str) -> list[int]:
    """Posts of the forum worth reading the starter message of: those named ``name`` (newest first), then the
    newest others (the title may have changed since), ``FORUM_CANDIDATES`` in all."""
    mine = sorted(
        (t for t in threads if str(t.get("parent_id")) == str(forum_id)), key=lambda t: int(t["id"]), reverse=True
    )
    named = [int(t["id"]) for t in mine if t.get("name") == name]
    others = [int(t["id"]) for t in mine if t.get("name") != name]
    return (named + others)[:FORUM_CANDIDATES]


def thread_of(message: Message) -> int | None:
    """The thread started on this message (its ``thread`` field), if any."""
    thread = message.get("thread")
    return int(thread["id"]) if isinstance(thread, Mapping) and thread.get("id") else None


def is_crossposted(message: Message) -> bool:
    return bool(int(message.get("flags") or 0) & CROSSPOSTED)


class History(Protocol):
    """A channel's newest messages as Discord returns them (``GET /channels/{id}/messages``, newest first)."""

    async def recent_messages(self, channel_id: int, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]: ...


class Adopter:
    """Finds a post of ``link`` by this bot (or through one of its webhooks) among the channel's recent messages
    (history carries no nonces)."""

    def __init__(self, history: History, author_id: int | None) -> None:
        self._history = history
        self._author_id = author_id

    async def find(self, channel_id: int, link: str) -> int | None:
        found = await self.find_message(channel_id, link)
        return None if found is None else int(found["id"])

    async def find_message(self, channel_id: int, link: str, *, webhook_id: int | None = None) -> Message | None:
        """The newest such message as Discord returns it (its ``thread`` and flags tell what else was done)."""
        try:
            messages = await self._history.recent_messages(channel_id, HISTORY_LIMIT)
        except Exception as exc:
            # Without the history we cannot tell: posting again is the lesser harm (the nonce may still catch it).
            log.warning("Channel %s: could not read recent messages to adopt a post: %s", channel_id, exc)
            return None
        return find_message(messages, link, author_id=self._author_id, webhook_id=webhook_id)
