from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import Feed
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


class Posting(commands.Cog):
    """Starts the feed pipeline (and the channel checks) when loaded and stops them when unloaded."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._starting: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        if self.bot.feed is None:
            return
        # REST works from here on; catching up with a big folder must not hold back the gateway connection.
        self._starting = asyncio.create_task(self._start(self.bot.feed), name="feed-start")

    async def _start(self, feed: Feed) -> None:
        pipeline, gate = feed.pipeline, feed.gate
        channels = [route.channel_id for route in self.bot.config.channels]
        try:
            # Whatever waited in an earlier run is checked afresh in this one.
            await gate.report_waiting()
            if pipeline.shards.sharded:
                # A channel's shard comes from its guild: the first check's GET /channels/{id} names it (and it is
                # stored), so channels not yet located are checked before anything is queued.
                await gate.settle(pipeline.guilds.unknown(channels))
                channels = [c for c in channels if pipeline.owns_channel(c)]
            # Every configured channel is checked at once, so a bad id is reported even with nothing to post.
            gate.watch(channels)
            gate.start()
            await pipeline.start(
                feed.sink, observer=feed.alerter, gate=gate, deliverer=feed.deliverer, finder=feed.adopter
            )
            if feed.dms is not None:
                feed.dms.start()  # members' DMs, beside the channel posts
            # A crosspost is made after its post is recorded, off the queue: one the last run died in is done now.
            await feed.deliverer.resume_crossposts(channels)
        except Exception:
            # The top of the feed's start-up task: whatever stopped it, the bot must not run without its feed.
            log.exception("The feed pipeline could not start; stopping the bot")
            await self.bot.close()

    async def cog_unload(self) -> None:
        if self._starting and not self._starting.done():
            self._starting.cancel()
        if self.bot.feed is not None:
            await self.bot.feed.pipeline.stop()
            await self.bot.feed.gate.stop()
            if self.bot.feed.dms is not None:
                await self.bot.feed.dms.stop()
