"""Looking in Discord for a story's forum post, or a discussion thread's opener, that was made before a crash (or
whose answer was lost), so the send queue records it instead of making it again. Plain and webhook messages are
found in the channel's history (bot/cluster/claims.py ``Adopter``); the matching itself is pure
(bot/cluster/adopt.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cluster.adopt import carries, forum_candidates, is_ours
from bot.send.discord_sink import DiscordSink
from bot.send.errors import DeliveryError
from bot.send.kinds.payloads import ChannelInfo

log = logging.getLogger(__name__)

OPENER_LOOKBACK = 10  # a discussion thread's first messages: the opener is the bot's first one


class PostSearch:
    """Reads what Discord has; raises ``DeliveryError`` when Discord could not answer."""

    def __init__(self, sink: DiscordSink, bot_id: Callable[[], int]) -> None:
        self._sink = sink
        self._bot_id = bot_id

    async def forum_post(self, forum_id: int, info: ChannelInfo, name: str, link: str, hook: int | None) -> int | None:
        """The forum post (its id is its starter message's) whose starter message is ours and carries ``link``:
        among the guild's active threads first, then the forum's newest archived ones."""
        guild_id = info.guild_id or int((await self._sink.get_channel(forum_id))["guild_id"])
        listings: list[Callable[[], Awaitable[list[dict[str, Any]]]]] = [
            lambda: self._sink.active_threads(guild_id),
            lambda: self._sink.archived_threads(forum_id),
        ]
        for listing in listings:
            for thread_id in forum_candidates(await listing(), forum_id, name):
                try:
                    starter = await self._sink.get_message(thread_id, thread_id)
                except DeliveryError as exc:
                    if exc.gone:
                        continue  # deleted meanwhile, or a post whose starter message was removed
                    raise
                if is_ours(starter, author_id=self._bot_id(), webhook_id=hook) and carries(starter, link):
                    return thread_id
        return None

    async def opened(self, thread_id: int) -> bool:
        """Whether the discussion thread has the bot's opener already."""
        messages = await self._sink.recent_messages(thread_id, OPENER_LOOKBACK)
        return any(is_ours(m, author_id=self._bot_id()) for m in messages)
