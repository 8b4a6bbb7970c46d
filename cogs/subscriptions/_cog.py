"""/subscribe and /unsubscribe: members opt in to a topic's role themselves."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.text import clean_line

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


class Subscriptions(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    def _bound(self, guild_id: int | None) -> dict[str, int]:
        if self.bot.pipeline is None or guild_id is None:
            return {}
        return self.bot.pipeline.routes.ping_topics(guild_id)

    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        text = current.casefold().strip()
        topics = sorted(t for t in self._bound(interaction.guild_id) if text in t)
        return [app_commands.Choice(name=t[:100], value=t[:100]) for t in topics[:25]]

    async def _change(self, interaction: discord.Interaction, topic: str, *, join: bool) -> None:
        role_id = self._bound(interaction.guild_id).get(" ".join(topic.split()).casefold())
        guild = interaction.guild
        role = guild.get_role(role_id) if guild and role_id else None
        if role is None or not isinstance(interaction.user, discord.Member):
            known = ", ".join(sorted(self._bound(interaction.guild_id))) or "none yet"
            await interaction.response.send_message(
                f"`topic`: **{clean_line(topic)[:100]}** has no role to subscribe to. Topics with a role: {known}.",
                ephemeral=True,
            )
            return
        try:
            if join:
                await interaction.user.add_roles(role, reason="Newsdesk /subscribe")
            else:
                await interaction.user.remove_roles(role, reason="Newsdesk /unsubscribe")
        except discord.Forbidden:
            log.warning("Missing Manage Roles (or role order) to change role %s in guild %s", role.id, role.guild.id)
            await interaction.response.send_message(
                "I can't change your roles: an admin needs to give me the **Manage Roles** permission and put my "
                f"role above **{clean_line(role.name)}** in Server Settings → Roles.",
                ephemeral=True,
            )
            return
        verb = "You'll be pinged for" if join else "You won't be pinged any more for"
        await interaction.response.send_message(f"{verb} **{clean_line(topic)}** stories.", ephemeral=True)

    @app_commands.command(name="subscribe", description="Get pinged when a story with this topic is posted")
    @app_commands.describe(topic="A topic that has a role")
    @app_commands.guild_only()
    async def subscribe(self, interaction: discord.Interaction, topic: str) -> None:
        await self._change(interaction, topic, join=True)

    @app_commands.command(name="unsubscribe", description="Stop being pinged for a topic")
    @app_commands.describe(topic="A topic you subscribed to")
    @app_commands.guild_only()
    async def unsubscribe(self, interaction: discord.Interaction, topic: str) -> None:
        await self._change(interaction, topic, join=False)

    subscribe.autocomplete("topic")(topic_autocomplete)
    unsubscribe.autocomplete("topic")(topic_autocomplete)
