"""REST routes for channel kinds, as Discord serves them (see ../shared/DISCORD_FACTS.md, "Channel kinds"):
forum posts, threads on messages, channel edits and deletes, crossposts and their limit, channel webhooks."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .limits import validate_message
from .ratelimit import rate_limited_body, rate_limited_headers
from .responses import BODY, error, json_response
from .store import public
from .world import SEND_MESSAGES, VIEW_CHANNEL, ChannelSpec, GuildSpec, channel_object

if TYPE_CHECKING:
    from .server import FakeServer

log = logging.getLogger(__name__)

MANAGE_CHANNELS = 1 << 4
MANAGE_WEBHOOKS = 1 << 29
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
REQUIRE_TAG = 1 << 4
CROSSPOSTED = 1 << 0
HAS_THREAD = 1 << 5
FORUM_TYPES = (15, 16)
THREAD_TYPES = (10, 11, 12)
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
CROSSPOST_WINDOW = 3600.0

UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_GUILD = (404, 10004, "Unknown Guild")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
WRONG_CHANNEL_TYPE = (400, 50024, "Cannot execute action on this channel type")
FORUM_NEEDS_POST = (400, 40058, "Cannot send messages in a forum channel")
TAG_REQUIRED = (400, 40067, "A tag is required to create a forum post in this channel")
THREAD_EXISTS = (400, 160004, "A thread has already been created for this message")
ALREADY_CROSSPOSTED = (400, 40033, "This message has already been crossposted")
THREAD_ID_AND_NAME = (400, 220001, "Webhooks can only create threads in forum channels")
FORUM_NEEDS_THREAD = (400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id")


def _err(err: tuple[int, int, str]) -> web.Response:
    return error(*err)


def _invalid(field: str, message: str) -> web.Response:
    body = {"code": 50035, "message": "Invalid Form Body", "errors": {field: {"_errors": [{"message": message}]}}}
    return json_response(body, 400)


class KindRoutes:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.state = server.state

    def _found(self, request: web.Request, key: str = "cid") -> tuple[GuildSpec, ChannelSpec] | None:
        return self.state.channel(int(request.match_info[key]))

    def _perms(self, guild: GuildSpec, channel: ChannelSpec) -> int:
        if channel.type in THREAD_TYPES and channel.parent_id:
            parent = guild.channel(channel.parent_id)
            channel = parent or channel  # a thread inherits its parent's overwrites
        return self.state.bot_permissions(guild, channel)

    def _thread(self, guild: GuildSpec, parent: ChannelSpec, thread_id: int, name: str, archive: int) -> ChannelSpec:
        spec = ChannelSpec(
            id=thread_id,
            name=name,
            type=10 if parent.type == 5 else 11,
            parent_id=parent.id,
            auto_archive_duration=archive,
            owner_id=self.state.config.bot_id,
        )
        guild.channels.append(spec)
        return spec

    # ----- forum posts and threads ---------------------------------------------------------
    async def forum_post(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        guild, forum = found
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        with state.lock:
            perms = self._perms(guild, forum)
            if not perms & VIEW_CHANNEL or not perms & SEND_MESSAGES:
                return _err(MISSING_PERMISSIONS)
            if forum.type not in FORUM_TYPES:
                return _err(WRONG_CHANNEL_TYPE)  # threads without a message are not needed by the bot
            name = body.get("name")
            if not isinstance(name, str) or not 1 <= len(name) <= 100:
                return _invalid("name", "Must be between 1 and 100 in length.")
            archive = body.get("auto_archive_duration", 1440)
            if archive not in ARCHIVE_DURATIONS:
                return _invalid("auto_archive_duration", "Value must be one of (60, 1440, 4320, 10080).")
            tags = [str(t) for t in body.get("applied_tags") or []]
            known = {str(t["id"]) for t in forum.available_tags}
            if len(tags) > 5 or not set(tags) <= known:
                return _invalid("applied_tags", "Must be at most 5 of the channel's tags.")
            if forum.flags & REQUIRE_TAG and not tags:
                return _err(TAG_REQUIRED)
            # discord.py adds these inside ``message``; Discord accepts them.
            message = {k: v for k, v in (body.get("message") or {}).items() if k not in ("type", "tts")}
        invalid = validate_message(message)
        if invalid:
            return json_response(invalid[1], invalid[0])
        with state.lock:
            thread_id = state.snowflakes.next()
            thread = self._thread(guild, forum, thread_id, name, int(archive))
            thread.applied_tags = tags
            record = state.build_message(thread_id, message, message_id=thread_id)
            data = {**channel_object(thread, guild.id), "message": public(record)}
        await self.server.echo_created(public(record))
        return json_response(data, 201)

    async def message_thread(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        guild, parent = found
        mid = int(request.match_info["mid"])
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        with state.lock:
            if parent.type in FORUM_TYPES:
                return _err(WRONG_CHANNEL_TYPE)
            if not self._perms(guild, parent) & CREATE_PUBLIC_THREADS:
                return _err(MISSING_PERMISSIONS)
            if state.get_message(mid, parent.id) is None:
                return _err(UNKNOWN_MESSAGE)
            if guild.channel(mid) is not None:
                return _err(THREAD_EXISTS)
            name = body.get("name")
            if not isinstance(name, str) or not 1 <= len(name) <= 100:
                return _invalid("name", "Must be between 1 and 100 in length.")
            archive = body.get("auto_archive_duration", 1440)
            if archive not in ARCHIVE_DURATIONS:
                return _invalid("auto_archive_duration", "Value must be one of (60, 1440, 4320, 10080).")
            thread = self._thread(guild, parent, mid, name, int(archive))
            data = channel_object(thread, guild.id)
            # The message now carries its thread (``thread`` and the HAS_THREAD flag), as Discord returns it.
            record = state.msgs[mid]
            record["flags"] |= HAS_THREAD
            record["thread"] = data
            return json_response(data, 201)

    # ----- thread listings -----------------------------------------------------------------
    async def active_threads(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/threads/active``: the guild's unarchived threads the bot can see, newest first."""
        state = self.state
        guild = state.guild(int(request.match_info["gid"]))
        if guild is None:
            return _err(UNKNOWN_GUILD)
        with state.lock:
            threads = [
                channel_object(c, guild.id)
                for c in sorted(guild.channels, key=lambda c: -c.id)
                if c.type in THREAD_TYPES and not c.archived and self._perms(guild, c) & VIEW_CHANNEL
            ]
        return json_response({"threads": threads, "members": [], "has_more": False})

    async def archived_threads(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/threads/archived/public?limit=``: archived threads of a channel, newest first."""
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        guild, parent = found
        try:
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            limit = 0
        if not 2 <= limit <= 100:
            return _invalid("limit", "Must be between 2 and 100.")
        with state.lock:
            if not self._perms(guild, parent) & VIEW_CHANNEL:
                return _err(MISSING_PERMISSIONS)
            newest = sorted(guild.channels, key=lambda c: -c.id)
            archived = [c for c in newest if c.parent_id == parent.id and c.archived]
            threads = [channel_object(c, guild.id) for c in archived[:limit]]
        return json_response({"threads": threads, "members": [], "has_more": len(archived) > limit})

    async def edit_channel(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        guild, channel = found
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        with state.lock:
            perms = self._perms(guild, channel)
            own_thread = channel.type in THREAD_TYPES and channel.owner_id == state.config.bot_id
            if not (perms & MANAGE_CHANNELS or (own_thread and "available_tags" not in body)):
                return _err(MISSING_PERMISSIONS)
            if "name" in body:
                if not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100:
                    return _invalid("name", "Must be between 1 and 100 in length.")
                channel.name = body["name"]
            if "applied_tags" in body and channel.type in THREAD_TYPES:
                parent = guild.channel(channel.parent_id or 0)
                known = {str(t["id"]) for t in (parent.available_tags if parent else [])}
                tags = [str(t) for t in body["applied_tags"] or []]
                if len(tags) > 5 or not set(tags) <= known:
                    return _invalid("applied_tags", "Must be at most 5 of the channel's tags.")
                channel.applied_tags = tags
            if "available_tags" in body and channel.type in FORUM_TYPES:
                new_tags: list[dict[str, Any]] = body["available_tags"] or []
                if len(new_tags) > 20 or any(not 1 <= len(str(t.get("name", ""))) <= 20 for t in new_tags):
                    return _invalid("available_tags", "At most 20 tags, names of 1 to 20 characters.")
                channel.available_tags = [
                    {
                        "id": str(t.get("id") or state.snowflakes.next()),
                        "name": t["name"],
                        "moderated": bool(t.get("moderated", False)),
                        "emoji_id": t.get("emoji_id"),
                        "emoji_name": t.get("emoji_name"),
                    }
                    for t in new_tags
                ]
            return json_response(channel_object(channel, guild.id))

    async def delete_channel(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        guild, channel = found
        with state.lock:
            perms = self._perms(guild, channel)
            needed = MANAGE_THREADS if channel.type in THREAD_TYPES else MANAGE_CHANNELS
            if not perms & needed:
                return _err(MISSING_PERMISSIONS)
            data = channel_object(channel, guild.id)
            guild.channels.remove(channel)
            for record in state.msgs.values():
                if record["channel_id"] == str(channel.id):
                    record["deleted"] = True
                elif (record.get("thread") or {}).get("id") == str(channel.id):
                    record.pop("thread")  # the message that started a deleted thread no longer carries it
        return json_response(data)

    # ----- crossposts ----------------------------------------------------------------------
    async def crosspost(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        _guild, channel = found
        mid = int(request.match_info["mid"])
        with state.lock:
            if channel.type != 5:
                return _err(WRONG_CHANNEL_TYPE)
            record = state.msgs.get(mid)
            if record is None or record["deleted"] or record["channel_id"] != str(channel.id):
                return _err(UNKNOWN_MESSAGE)
            if record["flags"] & CROSSPOSTED:
                return _err(ALREADY_CROSSPOSTED)
            now = time.monotonic()
            recent = [t for t in state.crossposts.get(channel.id, []) if now - t < CROSSPOST_WINDOW]
            if len(recent) >= state.crosspost_limit:
                retry = CROSSPOST_WINDOW - (now - recent[0])
                state.rec.count_429 += 1
                return json_response(
                    rate_limited_body(retry, is_global=False), 429, rate_limited_headers(retry, is_global=False)
                )
            state.crossposts[channel.id] = [*recent, now]
            record["flags"] |= CROSSPOSTED
            return json_response(public(record))


def post_message_in_forum(server: FakeServer, cid: int) -> web.Response | None:
    """A plain message to a forum or media channel is refused (40058)."""
    found = server.state.channel(cid)
    if found is not None and found[1].type in FORUM_TYPES:
        return _err(FORUM_NEEDS_POST)
    return None


def register(server: FakeServer) -> KindRoutes:
    h = KindRoutes(server)
    server.route("POST", r"/channels/{cid:\d+}/threads", h.forum_post)
    server.route("POST", r"/channels/{cid:\d+}/messages/{mid:\d+}/threads", h.message_thread)
    server.route("POST", r"/channels/{cid:\d+}/messages/{mid:\d+}/crosspost", h.crosspost)
    server.route("GET", r"/guilds/{gid:\d+}/threads/active", h.active_threads)
    server.route("GET", r"/channels/{cid:\d+}/threads/archived/public", h.archived_threads)
    server.route("PATCH", r"/channels/{cid:\d+}", h.edit_channel)
    server.route("DELETE", r"/channels/{cid:\d+}", h.delete_channel)
    return h
