"""Raw gateway events → ``bot.signal.counter`` (plain ids only: no content is read, none would arrive), the
reconcile after each new gateway session, and the daily prune of counts older than ``signals.keep_days``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.signal.counter import emoji_key
from bot.store.errors import StoreError
from bot.store.signals import DAY

if TYPE_CHECKING:
    from bot.app import Feed
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


def _emoji(emoji: discord.PartialEmoji) -> str:
    return emoji_key(emoji.id, emoji.name)


class SignalListener(commands.Cog):
    def __init__(self, bot: NewsBot, feed: Feed) -> None:
        self.bot = bot
        self.counter = feed.signals
        self.reconciler = feed.reconciler
        self._tasks: list[asyncio.Task[None]] = []
        self._reconciling: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._start(self.counter.run(), "signal-counter")
        self._start(self._prune_daily(), "signal-prune")

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def cog_unload(self) -> None:
        for task in [*self._tasks, self._reconciling]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.counter.close()

    async def _prune_daily(self) -> None:
        keep = self.bot.config.signals.keep_days
        while True:
            try:
                removed = await self.bot.store.run_concurrent(self.bot.store.signals.prune, keep)
            except StoreError as exc:  # the database is away: the counts wait a day longer, the task lives on
                log.warning("Could not forget old signal counts (%s); trying again in a day", exc)
                removed = 0
            if removed:
                log.info("Forgot the signal counts of %d stories unchanged for %d days", removed, keep)
            await asyncio.sleep(DAY)

    # -- a new session: events since the last one are lost, Discord's counts are the truth --------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # READY (not RESUMED, after which Discord replays what was missed): the first connection, or a new session.
        if self._reconciling is not None:
            self._reconciling.cancel()
        self._reconciling = asyncio.create_task(self._reconcile(), name="signal-reconcile")

    async def _reconcile(self) -> None:
        try:
            await self.reconciler.run_pass()
        except asyncio.CancelledError:
            raise
        except Exception:
            # The top of a background task: the counts stay as counted, the next session tries again.
            log.exception("Signal reconcile failed")

    # -- reactions on messages ---------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self._reaction(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self._reaction(payload, added=False)

    def _reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        if payload.guild_id is None:
            return
        self.counter.reaction(
            message_id=payload.message_id,
            user_id=payload.user_id,
            emoji=_emoji(payload.emoji),
            burst=payload.burst,
            added=added,
        )

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        if payload.guild_id is not None:
            self.counter.reactions_cleared(message_id=payload.message_id)

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        if payload.guild_id is not None:
            self.counter.reactions_cleared(message_id=payload.message_id, emoji=_emoji(payload.emoji))

    # -- replies in the posts' threads -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None:
            return
        self.counter.message_created(
            channel_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            webhook=message.webhook_id is not None,
        )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is None:
            return
        cached = payload.cached_message
        self.counter.message_deleted(
            channel_id=payload.channel_id,
            message_id=payload.message_id,
            author_id=cached.author.id if cached is not None else None,
            webhook=cached is not None and cached.webhook_id is not None,
        )
