"""Admin-only commands: Discord's default permission and a run-time check, applied together so they agree.

Server owners can override a command's default permissions in Server Settings → Integrations, so hiding a
command is not enough; every admin command also checks Manage Server when it runs.
"""

from __future__ import annotations

import discord
from discord import app_commands


class NotAdmin(app_commands.CheckFailure):
    """Raised by the run-time check; the tree's error handler turns it into a polite ephemeral refusal."""

    def __init__(self) -> None:
        super().__init__("You need the **Manage Server** permission to use this command.")


def is_admin(interaction: discord.Interaction) -> bool:
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


class AdminGroup(app_commands.Group):
    """A slash-command group that only members with Manage Server see and can run."""

    def __init__(self, *, name: str, description: str) -> None:
        super().__init__(
            name=name,
            description=description,
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if not is_admin(interaction):
            raise NotAdmin()
        return True
