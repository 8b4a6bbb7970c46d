"""/newsdesk personal: a server's admins turn members' following on or off for their server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

TURNED_ON = (
    "Following is on in this server: members can /follow topics, providers and words for their DMs, and the "
    "follows members made here resume."
)
TURNED_OFF = (
    "Following is off in this server: /follow and the Follow buttons refuse here, and members' existing follows "
    "made here stop (those they made in DMs with the bot are theirs). /newsdesk personal enabled:true resumes them."
)


async def set_personal(bot: NewsBot, interaction: discord.Interaction, enabled: bool) -> None:
    assert interaction.guild_id is not None  # AdminCog is guild-only
    await defer(interaction)
    await bot.store.run_concurrent(bot.store.follows.set_guild_enabled, interaction.guild_id, enabled)
    await tell(interaction, TURNED_ON if enabled else TURNED_OFF)
