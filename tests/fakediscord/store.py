"""Thread-safe state of the fake: the world, recorded requests, messages, failures to inject."""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .ratelimit import Rate, RateLimiter
from .world import (
    ChannelSpec,
    GuildSpec,
    MemberSpec,
    SnowflakeGenerator,
    channel_permissions,
    iso_now,
    member_object,
    user_object,
)

log = logging.getLogger(__name__)

NONCE_TTL = 300.0
THREAD_TYPES = (10, 11, 12)
USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
RECORD_ONLY = ("edits", "deleted", "pinged", "allowed_mentions", "source", "guild_id", "reactors")


@dataclass
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    body: dict[str, Any] | None
    retry_after: float


@dataclass
class Hold:
    """``hold``: matching requests hang before Discord acts (``answered`` False) or after, before the answer."""

    method: str
    pattern: re.Pattern[str]
    answered: bool


@dataclass
class Config:
    token: str
    bot_id: int
    app_id: int
    bot_name: str
    interaction_timeout: float | None
    echo_events: bool


@dataclass
class Recordings:
    requests: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    role_changes: list[dict[str, Any]] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    gateway_connects: list[dict[str, str]] = field(default_factory=list)
    count_429: int = 0
    limited: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, scope) of each 429 sent
    resume_count: int = 0


def compute_mentions(content: str, allowed: dict[str, Any] | None) -> tuple[bool, list[int], list[int], list[str]]:
    """Return (mention_everyone, pinged user ids, pinged role ids, pinged tokens) as Discord resolves them.

    Without ``allowed_mentions`` Discord parses everything. Permissions (MENTION_EVERYONE, mentionable
    roles) are deliberately ignored so that tests catch payloads that *could* ping.
    """
    if allowed is None:
        parse, users, roles = {"everyone", "users", "roles"}, set(), set()
    else:
        parse = set(allowed.get("parse") or [])
        users = {int(u) for u in allowed.get("users") or []}
        roles = {int(r) for r in allowed.get("roles") or []}
    pinged: list[str] = []
    everyone = False
    if "everyone" in parse:
        for token in ("@everyone", "@here"):
            if token in content:
                everyone = True
                pinged.append(token)
    user_ids = [
        u for u in dict.fromkeys(int(m) for m in USER_MENTION.findall(content)) if "users" in parse or u in users
    ]
    role_ids = [
        r for r in dict.fromkeys(int(m) for m in ROLE_MENTION.findall(content)) if "roles" in parse or r in roles
    ]
    pinged += [f"<@{u}>" for u in user_ids] + [f"<@&{r}>" for r in role_ids]
    return everyone, user_ids, role_ids, pinged


class FakeState:
    """Everything the fake knows. Every public method takes ``self.lock``."""

    def __init__(
        self,
        config: Config,
        guilds: list[GuildSpec],
        *,
        channel_rate: Rate | None,
        route_rate: Rate | None,
        global_rate: Rate | None,
    ) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.guilds = guilds  # the servers the bot is in
        self.departed: list[GuildSpec] = []  # the servers it left
        for guild in guilds:
            if guild.member(config.bot_id) is None:
                guild.members.append(MemberSpec(id=config.bot_id, username=config.bot_name, bot=True))
        self.snowflakes = SnowflakeGenerator()
        self.limiter = RateLimiter(channel_rate, route_rate, global_rate)
        self.rec = Recordings()
        self.msgs: dict[int, dict[str, Any]] = {}
        self.nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.failures: list[Failure] = []
        self.forbidden_channels: set[int] = set()
        self.roles_forbidden = False
        self.delay = 0.0
        # hold_posts: channel -> message count from which its POSTs hang, never to be created (lost in flight).
        self.holds: dict[int, int] = {}
        self.held = 0  # POSTs hanging right now
        self.request_holds: list[Hold] = []  # hold(): any route, before or after it acts
        self.held_requests = 0
        self.interactions: dict[int, dict[str, Any]] = {}
        self.tokens: dict[str, int] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        # Channel kinds (routes_kinds.py): channel webhooks by id, and crosspost times per channel.
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.crossposts: dict[int, list[float]] = {}
        self.crosspost_limit = 10  # per channel per hour, as Discord (undocumented, widely reported)

    # ----- world lookups -------------------------------------------------------------------
    def guild(self, guild_id: int) -> GuildSpec | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def channel(self, channel_id: int) -> tuple[GuildSpec, ChannelSpec] | None:
        for guild in self.guilds:
            chan = guild.channel(channel_id)
            if chan is not None:
                return guild, chan
        return None

    def bot_user(self) -> dict[str, Any]:
        return user_object(self.config.bot_id, self.config.bot_name, bot=True)

    def member_obj(self, guild: GuildSpec, user_id: int) -> dict[str, Any] | None:
        member = guild.member(user_id)
        if member is None:
            return None
        bot_roles = [r.id for r in guild.roles if r.managed]
        return member_object(member, bot_id=self.config.bot_id, bot_role_ids=bot_roles)

    def bot_permissions(self, guild: GuildSpec, channel: ChannelSpec) -> int:
        """The bot's permissions in ``channel`` (its managed roles included)."""
        member = guild.member(self.config.bot_id)
        roles = (list(member.roles) if member else []) + [r.id for r in guild.roles if r.managed]
        return channel_permissions(guild, channel, self.config.bot_id, roles)

    def _user_for(self, user_id: int, guild: GuildSpec | None) -> dict[str, Any]:
        member = guild.member(user_id) if guild else None
        return user_object(user_id, member.username if member else f"user{user_id}", bot=bool(member and member.bot))

    # ----- recording -----------------------------------------------------------------------
    def record_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.rec.requests.append(entry)

    def take_failure(self, method: str, path: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.method in ("*", method) and failure.pattern.search(path):
                    failure.count -= 1
                    if failure.count <= 0:
                        self.failures.remove(failure)
                    return failure
        return None

    # ----- messages ------------------------------------------------------------------------
    def build_message(
        self,
        channel_id: int,
        payload: dict[str, Any],
        *,
        author: dict[str, Any] | None = None,
        source: str = "rest",
        extra: dict[str, Any] | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Create, store and return the recorded copy of a new message (``message_id``: a forum post's starter
        message, whose id is the post's)."""
        with self.lock:
            found = self.channel(channel_id)
            guild = found[0] if found else None
            content = payload.get("content") or ""
            allowed = payload.get("allowed_mentions")
            everyone, user_ids, role_ids, pinged = compute_mentions(content, allowed)
            mid = message_id or self.snowflakes.next()
            embeds = [{"type": "rich", **e} for e in payload.get("embeds") or []]
            record: dict[str, Any] = {
                "id": str(mid),
                "channel_id": str(channel_id),
                "author": author or self.bot_user(),
                "content": content,
                "timestamp": iso_now(),
                "edited_timestamp": None,
                "tts": bool(payload.get("tts")),
                "mention_everyone": everyone,
                "mentions": [self._user_for(u, guild) for u in user_ids],
                "mention_roles": [str(r) for r in role_ids],
                "attachments": payload.get("attachments") or [],
                "embeds": embeds,
                "components": payload.get("components") or [],
                "pinned": False,
                "type": 0,
                "nonce": payload.get("nonce"),
                "flags": int(payload.get("flags") or 0),
                **(extra or {}),
                "edits": [],
                "deleted": False,
                "pinged": pinged,
                "allowed_mentions": allowed,
                "source": source,
                "guild_id": str(guild.id) if guild else None,
            }
            self.msgs[mid] = record
            self._count_in_thread(found[1] if found else None, mid, 1)
            nonce = payload.get("nonce")
            if nonce is not None:
                self.nonces[(channel_id, str(nonce))] = (mid, time.monotonic())
            return copy.deepcopy(record)

    def find_by_nonce(self, channel_id: int, nonce: Any) -> dict[str, Any] | None:
        with self.lock:
            hit = self.nonces.get((channel_id, str(nonce)))
            if hit is None or time.monotonic() - hit[1] > NONCE_TTL:
                return None
            return copy.deepcopy(self.msgs[hit[0]])

    def get_message(self, message_id: int, channel_id: int | None = None) -> dict[str, Any] | None:
        with self.lock:
            record = self.msgs.get(message_id)
            if record is None or record["deleted"]:
                return None
            if channel_id is not None and record["channel_id"] != str(channel_id):
                return None
            return copy.deepcopy(record)

    def edit_message(self, message_id: int, payload: dict[str, Any]) -> dict[str, Any] | None:
        with self.lock:
            record = self.msgs.get(message_id)
            if record is None or record["deleted"]:
                return None
            before = {k: copy.deepcopy(record[k]) for k in ("content", "embeds", "components", "flags")}
            record["edits"].append({"time": time.time(), "payload": copy.deepcopy(payload), "before": before})
            if "content" in payload:
                record["content"] = payload["content"] or ""
                allowed = payload.get("allowed_mentions", record["allowed_mentions"])
                everyone, users, roles, _ = compute_mentions(record["content"], allowed)
                guild = self.guild(int(record["guild_id"])) if record["guild_id"] else None
                record["mention_everyone"] = everyone
                record["mentions"] = [self._user_for(u, guild) for u in users]
                record["mention_roles"] = [str(r) for r in roles]
            if "embeds" in payload:
                record["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or []]
            if "components" in payload:
                record["components"] = payload["components"] or []
            if payload.get("flags") is not None:
                record["flags"] = (record["flags"] & ~0x4) | (int(payload["flags"]) & 0x4)
            record["flags"] &= ~(1 << 7)  # an edit ends the "thinking..." state of a deferred response
            record["edited_timestamp"] = iso_now()
            return copy.deepcopy(record)

    def delete_message(self, message_id: int, channel_id: int | None = None) -> bool:
        with self.lock:
            record = self.msgs.get(message_id)
            if record is None or record["deleted"]:
                return False
            if channel_id is not None and record["channel_id"] != str(channel_id):
                return False
            record["deleted"] = True
            found = self.channel(int(record["channel_id"]))
            self._count_in_thread(found[1] if found else None, message_id, -1)
            return True

    @staticmethod
    def _count_in_thread(channel: ChannelSpec | None, message_id: int, delta: int) -> None:
        """A thread's ``message_count``: a forum post's starter message (the post's id) is not counted."""
        if channel is None or channel.type not in THREAD_TYPES or message_id == channel.id:
            return
        channel.message_count = max(0, channel.message_count + delta)
        if delta > 0:
            channel.total_message_sent += 1

    def channel_messages(self, channel_id: int | None, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            return [
                copy.deepcopy(r)
                for r in self.msgs.values()
                if (channel_id is None or r["channel_id"] == str(channel_id)) and (include_deleted or not r["deleted"])
            ]

    # ----- roles ---------------------------------------------------------------------------
    def change_role(self, guild_id: int, user_id: int, role_id: int, add: bool) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            guild = self.guild(guild_id)
            if guild is None:
                return 404, {"code": 10004, "message": "Unknown Guild"}
            if self.roles_forbidden:
                return 403, {"code": 50013, "message": "Missing Permissions"}
            if guild.role(role_id) is None:
                return 404, {"code": 10011, "message": "Unknown Role"}
            member = guild.member(user_id)
            if member is None:
                return 404, {"code": 10007, "message": "Unknown Member"}
            if add and role_id not in member.roles:
                member.roles.append(role_id)
            elif not add and role_id in member.roles:
                member.roles.remove(role_id)
            self.rec.role_changes.append(
                {
                    "guild_id": guild_id,
                    "user_id": user_id,
                    "role_id": role_id,
                    "action": "add" if add else "remove",
                    "time": time.time(),
                }
            )
            return 204, None


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The message object as the API returns it (recording-only keys removed)."""
    return {k: v for k, v in record.items() if k not in RECORD_ONLY}
