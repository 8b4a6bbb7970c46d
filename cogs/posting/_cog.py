from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.discord_sink import DiscordSink

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


class Posting(commands.Cog):
    """Starts the feed pipeline when loaded and stops it when unloaded."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._starting: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        if self.bot.pipeline is None:
            return
        sink = DiscordSink(self.bot.http, timeout=self.bot.config.discord.request_timeout)
        # REST works from here on; catching up with a big folder must not hold back the gateway connection.
        self._starting = asyncio.create_task(self._start(sink), name="feed-start")

    async def _start(self, sink: DiscordSink) -> None:
        try:
            await self.bot.pipeline.start(sink, observer=self.bot.alerter, guild_of=self.bot.guild_of)
        except Exception:
            log.exception("The feed pipeline could not start; stopping the bot")
            await self.bot.close()

    async def cog_unload(self) -> None:
        if self._starting and not self._starting.done():
            self._starting.cancel()
        if self.bot.pipeline is not None:
            await self.bot.pipeline.stop()
