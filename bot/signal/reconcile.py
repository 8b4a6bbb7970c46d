"""Setting the counts from Discord's own after a gap (a restart, or a new gateway session: events meanwhile are
lost), so nothing missed is lost and nothing is counted twice.

Bounded and slow on purpose: one pass looks at the ``limit`` newest posts of the last ``signals.keep_days`` (the
ones this process posts), newest first, one request every ``interval`` seconds (2/s by default: 4% of Discord's
global 50/s, taken from the same token bucket as the posts, which it never starves). A post costs one request
(its message's reactions) and one more when it has a thread (the thread's ``message_count``).

A reaction given in the instant between the fetch and the write may be counted twice or not at all; the next
reconcile sets it right.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.send.errors import DeliveryError
from bot.send.kinds.payloads import ChannelInfo, ChannelKind
from bot.signal.counter import emoji_key
from bot.store.signals import DAY, PostedStory

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

FetchMessage = Callable[[int, int], Awaitable[dict[str, Any]]]  # (channel, message) → the message object
FetchChannel = Callable[[int], Awaitable[dict[str, Any]]]


def reaction_counts(message: dict[str, Any]) -> dict[str, int]:
    """Emoji → count from a message object's ``reactions``, without the bot's own (``me``, ``me_burst``)."""
    counts: dict[str, int] = {}
    for reaction in message.get("reactions") or []:
        emoji = reaction.get("emoji") or {}
        own = int(bool(reaction.get("me"))) + int(bool(reaction.get("me_burst")))
        key = emoji_key(int(emoji["id"]) if emoji.get("id") else None, emoji.get("name"))
        counts[key] = counts.get(key, 0) + max(0, int(reaction.get("count") or 0) - own)
    return counts


def thread_replies(thread: dict[str, Any], *, forum: bool) -> int:
    """Members' messages in the post's thread: Discord's ``message_count`` (which leaves out a forum post's starter
    message) less the bot's opener in a discussion thread."""
    count = int(thread.get("message_count") or 0)
    return count if forum else max(0, count - 1)


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    checked: int
    changed: int
    failed: int


class Reconciler:
    def __init__(
        self,
        store: Store,
        *,
        fetch_message: FetchMessage,
        fetch_channel: FetchChannel,
        keep_days: int,
        owns: Callable[[int], bool],
        channel_info: Callable[[int], ChannelInfo | None],
        before: Callable[[], Awaitable[None]] | None = None,
        limit: int = 100,
        interval: float = 0.5,
    ) -> None:
        self.store = store
        self.fetch_message = fetch_message
        self.fetch_channel = fetch_channel
        self.keep_days = keep_days
        self.owns = owns
        # What the channel check learned of a channel (its kind), None before its first check.
        self.channel_info = channel_info
        # The counter's drain: deltas counted before a fetch are written before the fetched counts replace them.
        self.before = before
        self.limit = limit
        self.interval = interval

    async def run_pass(self) -> ReconcileReport:
        since = time.time() - self.keep_days * DAY
        posts = await self.store.run_concurrent(self.store.signals.recent_posts, since, self.limit)
        checked = changed = failed = 0
        for post in posts:
            if not self.owns(post.channel_id):
                continue
            try:
                if await self.reconcile(post):
                    changed += 1
            except DeliveryError as exc:
                # A deleted message or thread, a channel the bot lost: its counts stay as they were.
                failed += 1
                log.debug("Signal reconcile of story %s in %s: %s", post.story_id, post.channel_id, exc.reason)
            checked += 1
        log.info("Signal counts reconciled: %d posts checked, %d corrected, %d unreadable", checked, changed, failed)
        return ReconcileReport(checked, changed, failed)

    async def reconcile(self, post: PostedStory) -> bool:
        if self.before is not None:
            await self.before()
        message, forum = await self._message(post)
        await asyncio.sleep(self.interval)
        replies = None
        if post.thread_id is not None:
            replies = thread_replies(await self.fetch_channel(post.thread_id), forum=forum)
            await asyncio.sleep(self.interval)
        return await self.store.run_concurrent(
            self.store.signals.reconciled, post, reactions=reaction_counts(message), replies=replies
        )

    async def _message(self, post: PostedStory) -> tuple[dict[str, Any], bool]:
        """The post's message, and whether it is a forum post's starter message (in the post, not the channel)."""
        info = self.channel_info(post.channel_id)
        if post.thread_id is None or (info is not None and info.kind is not ChannelKind.FORUM):
            return await self.fetch_message(post.channel_id, post.message_id), False
        if info is None:
            # Not checked yet: a message in the channel, else a forum post's starter message.
            try:
                return await self.fetch_message(post.channel_id, post.message_id), False
            except DeliveryError as exc:
                if not exc.gone:
                    raise
            await asyncio.sleep(self.interval)
        return await self.fetch_message(post.thread_id, post.message_id), True
