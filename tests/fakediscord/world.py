"""The fake's world: guilds, channels, roles, members and the JSON objects Discord sends for them."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1_420_070_400_000
DEFAULT_BOT_ID = 900000000000000001
DEFAULT_GUILD_ID = 100000000000000001
DEFAULT_ROLE_ID = 300000000000000001
BOT_ROLE_ID = 300000000000000002
READER_ID = 400000000000000001
EDITOR_ID = 400000000000000002
DEFAULT_CHANNELS = ("news", "ai", "science", "alerts", "general")

# Permission bits (https://discord.com/developers/docs/topics/permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = (
    (1 << 0)
    | (1 << 6)
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | (1 << 18)
    | (1 << 20)
    | (1 << 21)
    | (1 << 26)
    | USE_APPLICATION_COMMANDS
)
ADMIN_PERMISSIONS = 8866461766385663  # discord.Permissions.all().value in discord.py 2.7.1
BOT_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_MESSAGES | MANAGE_ROLES


class SnowflakeGenerator:
    """Thread-safe, strictly increasing snowflakes derived from the wall clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._counter = itertools.count()

    def next(self) -> int:
        with self._lock:
            value = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._counter) % 4096)
            self._last = value if value > self._last else self._last + 1
            return self._last


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class ChannelSpec:
    id: int
    name: str
    type: int = 0
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    nsfw: bool = False
    permission_overwrites: list[dict[str, Any]] = field(default_factory=list)
    # Forum and media channels (15, 16): their tags ({id, name, moderated, emoji_id, emoji_name}) and flags.
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    # Threads (10, 11, 12): the tags of a forum post, and how long until it archives.
    applied_tags: list[str] = field(default_factory=list)
    auto_archive_duration: int = 1440
    owner_id: int | None = None
    archived: bool = False  # archived threads leave GET /guilds/{id}/threads/active for .../threads/archived/public
    # Messages in the thread, as Discord counts them: neither a forum post's starter message nor deleted ones.
    message_count: int = 0
    total_message_sent: int = 0


@dataclass
class RoleSpec:
    id: int
    name: str
    permissions: int = 0
    position: int = 1
    color: int = 0
    mentionable: bool = False
    managed: bool = False
    hoist: bool = False


@dataclass
class MemberSpec:
    id: int
    username: str
    roles: list[int] = field(default_factory=list)
    bot: bool = False
    nick: str | None = None


@dataclass
class GuildSpec:
    id: int
    name: str
    channels: list[ChannelSpec] = field(default_factory=list)
    roles: list[RoleSpec] = field(default_factory=list)
    members: list[MemberSpec] = field(default_factory=list)
    everyone_permissions: int = MEMBER_PERMISSIONS
    owner_id: int = EDITOR_ID
    # False: the bot was added without the applications.commands scope, so its commands there are Missing Access.
    commands_scope: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuildSpec:
        """Build from a plain dict; channels/roles/members may be dicts or specs."""

        def conv(kind: type, items: list[Any]) -> list[Any]:
            return [item if isinstance(item, kind) else kind(**item) for item in items]

        return cls(
            id=int(data["id"]),
            name=data.get("name", "Guild"),
            channels=conv(
                ChannelSpec,
                [
                    c if not isinstance(c, dict) else {"position": i, **c}
                    for i, c in enumerate(data.get("channels", []))
                ],
            ),
            roles=conv(RoleSpec, data.get("roles", [])),
            members=conv(MemberSpec, data.get("members", [])),
            everyone_permissions=int(data.get("everyone_permissions", MEMBER_PERMISSIONS)),
            owner_id=int(data.get("owner_id", EDITOR_ID)),
            commands_scope=bool(data.get("commands_scope", True)),
        )

    def channel(self, channel_id: int) -> ChannelSpec | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def role(self, role_id: int) -> RoleSpec | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def member(self, user_id: int) -> MemberSpec | None:
        return next((m for m in self.members if m.id == user_id), None)


def default_guild(bot_id: int = DEFAULT_BOT_ID, bot_name: str = "Newsdesk") -> GuildSpec:
    """Guild "Newsroom" with channels news, ai, science, alerts, general and the "AI fans" role."""
    channels = [
        ChannelSpec(id=200000000000000001 + i, name=name, position=i) for i, name in enumerate(DEFAULT_CHANNELS)
    ]
    roles = [
        RoleSpec(id=DEFAULT_ROLE_ID, name="AI fans", position=1),
        RoleSpec(id=BOT_ROLE_ID, name=bot_name, permissions=BOT_PERMISSIONS, position=2, managed=True),
    ]
    members = [
        MemberSpec(id=READER_ID, username="reader"),
        MemberSpec(id=EDITOR_ID, username="editor"),
    ]
    return GuildSpec(id=DEFAULT_GUILD_ID, name="Newsroom", channels=channels, roles=roles, members=members)


def channel_permissions(guild: GuildSpec, channel: ChannelSpec, user_id: int, role_ids: list[int]) -> int:
    """A member's permissions in a channel, the way Discord computes them: @everyone and role permissions,
    then the channel's @everyone, role and member overwrites (Administrator and the owner bypass them)."""
    if user_id == guild.owner_id:
        return ADMIN_PERMISSIONS
    perms = guild.everyone_permissions
    for role in guild.roles:
        if role.id in role_ids:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ADMIN_PERMISSIONS
    by_id = {int(o["id"]): o for o in channel.permission_overwrites}
    if guild.id in by_id:
        perms = (perms & ~int(by_id[guild.id].get("deny", 0))) | int(by_id[guild.id].get("allow", 0))
    allow = deny = 0
    for role_id in role_ids:
        if role_id in by_id:
            allow |= int(by_id[role_id].get("allow", 0))
            deny |= int(by_id[role_id].get("deny", 0))
    perms = (perms & ~deny) | allow
    if user_id in by_id:
        perms = (perms & ~int(by_id[user_id].get("deny", 0))) | int(by_id[user_id].get("allow", 0))
    return perms


def user_object(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": username,
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
    }


def role_object(role: RoleSpec, bot_id: int | None = None) -> dict[str, Any]:
    tags = {"bot_id": str(bot_id)} if role.managed and bot_id else {}
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
        "tags": tags,
    }


def everyone_role(guild: GuildSpec) -> dict[str, Any]:
    spec = RoleSpec(id=guild.id, name="@everyone", permissions=guild.everyone_permissions, position=0)
    return role_object(spec)


def channel_object(channel: ChannelSpec, guild_id: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": list(channel.permission_overwrites),
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "nsfw": channel.nsfw,
        "flags": channel.flags,
    }
    if channel.type in (15, 16):
        data.update(available_tags=list(channel.available_tags), default_auto_archive_duration=1440, topic=None)
    if channel.type in (10, 11, 12):
        data.update(
            applied_tags=list(channel.applied_tags),
            owner_id=str(channel.owner_id) if channel.owner_id else None,
            message_count=channel.message_count,
            member_count=1,
            total_message_sent=channel.total_message_sent,
            rate_limit_per_user=0,
            thread_metadata={
                "archived": channel.archived,
                "auto_archive_duration": channel.auto_archive_duration,
                "archive_timestamp": iso_now(),
                "locked": False,
            },
        )
    if channel.type in (0, 5):
        data.update(
            topic=channel.topic, last_message_id=None, rate_limit_per_user=0, default_auto_archive_duration=1440
        )
    return data


def member_object(member: MemberSpec, *, bot_id: int, bot_role_ids: list[int]) -> dict[str, Any]:
    roles = list(member.roles) + (bot_role_ids if member.id == bot_id else [])
    return {
        "user": user_object(member.id, member.username, bot=member.bot or member.id == bot_id),
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in dict.fromkeys(roles)],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def guild_object(guild: GuildSpec, *, bot_id: int, app_id: int, bot_name: str, full: bool) -> dict[str, Any]:
    """A guild object; ``full`` adds the GUILD_CREATE extras (members, channels, threads, ...)."""
    data: dict[str, Any] = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [everyone_role(guild)] + [role_object(r, bot_id) for r in guild.roles],
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "nsfw": False,
    }
    if full:
        members = list(guild.members)
        if guild.member(bot_id) is None:
            members.append(MemberSpec(id=bot_id, username=bot_name, bot=True))
        bot_roles = [r.id for r in guild.roles if r.managed]
        data.update(
            joined_at="2024-01-01T00:00:00+00:00",
            large=False,
            unavailable=False,
            member_count=len(members),
            voice_states=[],
            threads=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            embedded_activities=[],
            members=[member_object(m, bot_id=bot_id, bot_role_ids=bot_roles) for m in members],
            channels=[channel_object(c, guild.id) for c in guild.channels],
        )
    return data
