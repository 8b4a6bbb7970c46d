"""Sharding in the fake: ``GET /gateway/bot``, which shard a dispatch belongs to, the record of which
connection received what, and a world whose two guilds sit on different shards.

Discord's rule: a guild's events go only to the connection of shard ``(guild_id >> 22) % shard_count``;
events without a guild go to shard 0. An unsharded client identifies as shard ``[0, 1]`` and so gets all.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .world import (
    BOT_PERMISSIONS,
    BOT_ROLE_ID,
    DEFAULT_GUILD_ID,
    EDITOR_ID,
    READER_ID,
    ChannelSpec,
    GuildSpec,
    MemberSpec,
    RoleSpec,
)

if TYPE_CHECKING:
    from .server import FakeServer
    from .store import FakeState

SESSIONS_PER_DAY = 1000

# The default guild is on shard 0 of 2; this one differs in bit 22 only, so it is on shard 1.
SECOND_GUILD_ID = DEFAULT_GUILD_ID ^ (1 << 22)
SECOND_GUILD_CHANNELS = (("world", 210000000000000001), ("sport", 210000000000000002))
# Events whose payload *is* the guild (its id is the guild id) rather than naming it in ``guild_id``.
GUILD_PAYLOAD_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


def event_guild(event: str, data: dict[str, Any]) -> int | None:
    """The guild a dispatch belongs to, or None (then shard 0 gets it)."""
    raw = data.get("id") if event in GUILD_PAYLOAD_EVENTS else data.get("guild_id")
    return int(raw) if raw else None


def reaches(shard: tuple[int, int], event: str, data: dict[str, Any]) -> bool:
    """Whether a connection identified as ``shard`` (id, count) receives this dispatch."""
    shard_id, shard_count = shard
    guild_id = event_guild(event, data)
    return (0 if guild_id is None else shard_of(guild_id, shard_count)) == shard_id


def gateway_bot_body(url: str, shard_count: int, identifies: int) -> dict[str, Any]:
    """``GET /gateway/bot``: the URL, the recommended shard count and the IDENTIFY budget left today."""
    limit = {
        "total": SESSIONS_PER_DAY,
        "remaining": max(0, SESSIONS_PER_DAY - identifies),
        "reset_after": 86_400_000,
        "max_concurrency": 1,
    }
    return {"url": url, "shards": shard_count, "session_start_limit": limit}


def second_guild(bot_name: str = "Newsdesk") -> GuildSpec:
    """Guild "Sports desk" (shard 1 of 2) with channels world and sport, and the same reader and editor."""
    channels = [ChannelSpec(id=cid, name=name, position=i) for i, (name, cid) in enumerate(SECOND_GUILD_CHANNELS)]
    roles = [RoleSpec(id=BOT_ROLE_ID + 10, name=bot_name, permissions=BOT_PERMISSIONS, position=2, managed=True)]
    members = [MemberSpec(id=READER_ID, username="reader"), MemberSpec(id=EDITOR_ID, username="editor")]
    return GuildSpec(id=SECOND_GUILD_ID, name="Sports desk", channels=channels, roles=roles, members=members)


class ShardRecordsMixin:
    """``FakeDiscord``'s queries about which gateway connection (shard) received what."""

    state: FakeState
    server: FakeServer

    def received(
        self, event: str | None = None, *, guild_id: int | None = None, shard: int | None = None
    ) -> list[dict[str, Any]]:
        """Dispatches sent, oldest first, each ``{session, shard: [id, count], event, guild_id, id}``: which
        connection (shard) received what. Filters: event name, the guild it belongs to, the shard id."""
        with self.state.lock:
            entries = copy.deepcopy(self.server.gateway.received)
        return [
            e
            for e in entries
            if (event is None or e["event"] == event)
            and (guild_id is None or e["guild_id"] == guild_id)
            and (shard is None or e["shard"][0] == shard)
        ]

    def shards_that_received(
        self, event: str, guild_id: int | None = None, payload_id: int | str | None = None
    ) -> set[int]:
        """The shard ids whose connections received ``event`` (of that guild, with that payload id)."""
        return {
            e["shard"][0]
            for e in self.received(event, guild_id=guild_id)
            if payload_id is None or str(e["id"]) == str(payload_id)
        }

    @property
    def identified_shards(self) -> list[tuple[int, int]]:
        """The ``[shard_id, shard_count]`` of every IDENTIFY, in order (``[0, 1]`` for an unsharded client)."""
        with self.state.lock:
            return [(int(s[0]), int(s[1])) for s in (p.get("shard") or (0, 1) for p in self.state.rec.identifies)]
