"""Admin-only commands: Discord's default permission and a run-time check, applied together so they agree.

Server owners can override a command's default permissions in Server Settings → Integrations, so hiding a
command is not enough; every admin command also checks Manage Server when it runs. discord.py runs autocomplete
callbacks without the group's ``interaction_check``, so every admin autocomplete asks ``admin_may_complete``
first: a member without the permission gets no choices (they could list unpublished titles otherwise).
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.role_rules import RoleFacts, role_problem

log = logging.getLogger(__name__)


class NotAdmin(app_commands.CheckFailure):
    """Raised by the run-time check; the tree's error handler turns it into a polite ephemeral refusal."""

    def __init__(self) -> None:
        super().__init__("You need the **Manage Server** permission to use this command.")


def is_admin(interaction: discord.Interaction) -> bool:
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def admin_may_complete(interaction: discord.Interaction) -> bool:
    """Whether an admin command's autocomplete may answer: the member's permissions as Discord sent them now."""
    if is_admin(interaction):
        return True
    log.debug("Autocomplete of /%s refused to %s: no Manage Server", _command_name(interaction), interaction.user.id)
    return False


def can_manage_roles(interaction: discord.Interaction) -> bool:
    permissions = interaction.permissions
    return bool(permissions.manage_roles or permissions.administrator)


def role_facts(role: discord.Role) -> RoleFacts:
    return RoleFacts(role.permissions.value, role.managed, role.is_default(), role.position)


def bot_top_position(guild: discord.Guild | None) -> int:
    """The bot's highest role's position; 0 (nothing is below it) when the bot's member is not known."""
    me = guild.me if guild is not None else None
    return me.top_role.position if me is not None else 0


def topic_role_problem(role: discord.Role, invoker: discord.Member | discord.User | None = None) -> str | None:
    """``bot.role_rules.role_problem`` for a Discord role; with ``invoker``, who must also outrank it."""
    guild = role.guild
    invoker_top: int | None = None
    owns = False
    if invoker is not None:
        invoker_top = invoker.top_role.position if isinstance(invoker, discord.Member) else 0
        owns = guild.owner_id == invoker.id
    return role_problem(role_facts(role), bot_top=bot_top_position(guild), invoker_top=invoker_top, invoker_owns=owns)


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(commands.GroupCog):
    """A slash-command group (a cog of its own) that only members with Manage Server see, checked again at run time:
    the subclass names it (``group_name=``, ``group_description=``)."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if not is_admin(interaction):
            raise NotAdmin()
        return True
