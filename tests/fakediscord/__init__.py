"""A Discord-compatible fake server (REST ``/api/v10`` + gateway) for end-to-end tests and benchmarks.

Point discord.py at it before login::

    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
"""

from .harness import FakeDiscord, SentInteraction
from .limits import validate_message
from .sharding import SECOND_GUILD_CHANNELS, SECOND_GUILD_ID, second_guild
from .world import (
    ADMIN_PERMISSIONS,
    DEFAULT_BOT_ID,
    DEFAULT_GUILD_ID,
    DEFAULT_ROLE_ID,
    EDITOR_ID,
    MEMBER_PERMISSIONS,
    READER_ID,
    ChannelSpec,
    GuildSpec,
    MemberSpec,
    RoleSpec,
)

__all__ = [
    "ADMIN_PERMISSIONS",
    "DEFAULT_BOT_ID",
    "DEFAULT_GUILD_ID",
    "DEFAULT_ROLE_ID",
    "EDITOR_ID",
    "MEMBER_PERMISSIONS",
    "READER_ID",
    "SECOND_GUILD_CHANNELS",
    "SECOND_GUILD_ID",
    "ChannelSpec",
    "FakeDiscord",
    "GuildSpec",
    "MemberSpec",
    "RoleSpec",
    "SentInteraction",
    "second_guild",
    "validate_message",
]
