"""The allowlist (``discord.guilds``): the bot leaves any server it does not list, at start and on join."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


class Servers(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._leaving: set[int] = set()  # asked to leave, not yet gone: on_ready may run again meanwhile

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Every server in the cache, unavailable ones too: the allowlist may have changed while the bot was off.
        for guild in list(self.bot.guilds):
            await self.leave_unless_allowed(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.leave_unless_allowed(guild)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self._leaving.discard(guild.id)
        log.info("Removed from server %s (%s)", guild.id, guild.name)

    async def leave_unless_allowed(self, guild: discord.Guild) -> None:
        if self.bot.config.discord.allows(guild.id) or guild.id in self._leaving:
            return
        self._leaving.add(guild.id)
        log.warning("Leaving server %s (%s): it is not in discord.guilds", guild.id, guild.name)
        try:
            await guild.leave()
        except discord.HTTPException as exc:
            self._leaving.discard(guild.id)  # the next start or ready tries again
            log.warning("Could not leave server %s (%s): %s", guild.id, guild.name, exc)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Servers(bot))
