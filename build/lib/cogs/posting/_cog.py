from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


class Posting(commands.Cog):
    """Starts the feed pipeline (and the channel checks) when loaded and stops them when unloaded."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._starting: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        if self.bot.pipeline is None:
            return
        # REST works from here on; catching up with a big folder must not hold back the gateway connection.
        self._starting = asyncio.create_task(self._start(), name="feed-start")

    async def _start(self) -> None:
        assert self.bot.pipeline is not None
        gate = self.bot.gate
        # Every configured channel is checked at once, so a bad id is reported even with nothing to post.
        gate.watch(route.channel_id for route in self.bot.config.channels)
        gate.start()
        try:
            await self.bot.pipeline.start(
                self.bot.sink, observer=self.bot.alerter, guild_of=self.bot.guild_of, gate=gate
            )
        except Exception:
            log.exception("The feed pipeline could not start; stopping the bot")
            await self.bot.close()

    async def cog_unload(self) -> None:
        if self._starting and not self._starting.done():
            self._starting.cancel()
        if self.bot.pipeline is not None:
            await self.bot.pipeline.stop()
            await self.bot.gate.stop()
