from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.cluster.adopt import Adopter

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
        pipeline = self.bot.pipeline
        assert pipeline is not None
        gate = self.bot.gate
        channels = [route.channel_id for route in self.bot.config.channels]
        if pipeline.shards.sharded:
            # A channel's shard comes from its guild: the first check's GET /channels/{id} names it (and it is
            # stored), so channels not yet located are checked before anything is queued.
            await gate.settle(pipeline.guilds.unknown(channels))
            channels = [c for c in channels if pipeline.owns_channel(c)]
        # Every configured channel is checked at once, so a bad id is reported even with nothing to post.
        gate.watch(channels)
        gate.start()
        try:
            await pipeline.start(
                self.bot.sink,
                observer=self.bot.alerter,
                guild_of=self.bot.guild_of,
                gate=gate,
                deliverer=self.bot.deliverer,
                finder=Adopter(self.bot.sink, self.bot.user.id if self.bot.user else None),
            )
            # A crosspost is made after its post is recorded, off the queue: one the last run died in is done now.
            await self.bot.deliverer.resume_crossposts(channels)
        except Exception:
            log.exception("The feed pipeline could not start; stopping the bot")
            await self.bot.close()

    async def cog_unload(self) -> None:
        if self._starting and not self._starting.done():
            self._starting.cancel()
        if self.bot.pipeline is not None:
            await self.bot.pipeline.stop()
            await self.bot.gate.stop()
