"""/subscribe and /unsubscribe: members opt in to a topic's role themselves."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.text import clean_line
from cogs._checks import topic_role_problem
from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.config import ChannelRoute
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


def config_roles(channels: Sequence[ChannelRoute]) -> list[tuple[str, int]]:
    """(config key, role id) of every role the config file binds: ``channels[].roles`` is the only such key."""
    return [
        (f"channels[{i}].roles[{j}]", rid) for i, route in enumerate(channels) for j, rid in enumerate(route.role_ids)
    ]


class Subscriptions(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._withheld: set[int] = set()

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        self.check_config_roles(guild)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        self.check_config_roles(after.guild)

    def check_config_roles(self, guild: discord.Guild) -> None:
        """The config's roles get the rule /feed ping applies, once the guild (its roles, the bot's member) is
        known: a role that fails is never mentioned, with one line naming its key. Checked again when the guild
        comes back or a role changes, so a fixed role is used again."""
        if self.bot.pipeline is None:
            return
        before = set(self._withheld)
        for key, role_id in config_roles(self.bot.config.channels):
            role = guild.get_role(role_id)
            if role is None:
                continue  # another server's role (or a shard this process doesn't serve)
            problem = topic_role_problem(role)
            if problem is None:
                self._withheld.discard(role_id)
            elif role_id not in self._withheld:
                self._withheld.add(role_id)
                log.warning("%s: role %s %s: not bound", key, role_id, problem)
        if self._withheld != before:
            self.bot.pipeline.routes.withhold_roles(self._withheld)

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
        await defer(interaction)
        role_id = self._bound(interaction.guild_id).get(" ".join(topic.split()).casefold())
        guild = interaction.guild
        role = guild.get_role(role_id) if guild and role_id else None
        if role is None or not isinstance(interaction.user, discord.Member):
            known = ", ".join(sorted(self._bound(interaction.guild_id))) or "none yet"
            await tell(
                interaction,
                f"`topic`: **{clean_line(topic)[:100]}** has no role to subscribe to. Topics with a role: {known}.",
            )
            return
        # Checked again at every /subscribe: the role's permissions or place may have changed since it was bound.
        problem = topic_role_problem(role) if join else None
        if problem is not None:
            log.warning("/subscribe refused role %s in guild %s: it %s", role.id, role.guild.id, problem)
            await tell(
                interaction,
                f"I can't give you **{clean_line(role.name)}**: that role {problem}. An admin can fix it in "
                "Server Settings → Roles, or bind another role to the topic with `/feed ping`.",
            )
            return
        try:
            if join:
                await interaction.user.add_roles(role, reason="Newsdesk /subscribe")
            else:
                await interaction.user.remove_roles(role, reason="Newsdesk /unsubscribe")
        except discord.Forbidden:
            log.warning("Missing Manage Roles (or role order) to change role %s in guild %s", role.id, role.guild.id)
            await tell(
                interaction,
                "I can't change your roles: an admin needs to give me the **Manage Roles** permission and put my "
                f"role above **{clean_line(role.name)}** in Server Settings → Roles.",
            )
            return
        verb = "You'll be pinged for" if join else "You won't be pinged any more for"
        await tell(interaction, f"{verb} **{clean_line(topic)}** stories.")

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
