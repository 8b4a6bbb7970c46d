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
from .world import SEND_MESSAGES, VIEW_CHANNEL, ChannelSpec, GuildSpec, channel_object, user_object

if TYPE_CHECKING:
    from .server import FakeServer

log = logging.getLogger(__name__)

MANAGE_CHANNELS = 1 << 4
MANAGE_WEBHOOKS = 1 << 29
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
REQUIRE_TAG = 1 << 4
CROSSPOSTED = 1 << 0
FORUM_TYPES = (15, 16)
THREAD_TYPES = (10, 11, 12)
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
CROSSPOST_WINDOW = 3600.0
WEBHOOKS_PER_CHANNEL = 15

UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_WEBHOOK = (404, 10015, "Unknown Webhook")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
INVALID_WEBHOOK_TOKEN = (401, 50027, "Invalid Webhook Token")
WRONG_CHANNEL_TYPE = (400, 50024, "Cannot execute action on this channel type")
FORUM_NEEDS_POST = (400, 40058, "Cannot send messages in a forum channel")
TAG_REQUIRED = (400, 40067, "A tag is required to create a forum post in this channel")
THREAD_EXISTS = (400, 160004, "A thread has already been created for this message")
ALREADY_CROSSPOSTED = (400, 40033, "This message has already been crossposted")
TOO_MANY_WEBHOOKS = (400, 30007, "Maximum number of webhooks reached (15)")
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
            return json_response(channel_object(thread, guild.id), 201)

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

    # ----- webhooks ------------------------------------------------------------------------
    def _webhook_object(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k != "deleted"}

    async def list_webhooks(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        with state.lock:
            if not self._perms(*found) & MANAGE_WEBHOOKS:
                return _err(MISSING_PERMISSIONS)
            cid = str(found[1].id)
            hooks = [self._webhook_object(h) for h in state.webhooks.values() if h["channel_id"] == cid]
        return json_response(hooks)

    async def create_webhook(self, request: web.Request) -> web.Response:
        state, found = self.state, self._found(request)
        if found is None:
            return _err(UNKNOWN_CHANNEL)
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        name = body.get("name")
        with state.lock:
            if not self._perms(*found) & MANAGE_WEBHOOKS:
                return _err(MISSING_PERMISSIONS)
            if not isinstance(name, str) or not 1 <= len(name) <= 80:
                return _invalid("name", "Must be between 1 and 80 in length.")
            if "clyde" in name.lower() or "discord" in name.lower():
                return _invalid("name", 'Webhook names cannot contain "clyde" or "discord".')
            cid = str(found[1].id)
            if sum(1 for h in state.webhooks.values() if h["channel_id"] == cid) >= WEBHOOKS_PER_CHANNEL:
                return _err(TOO_MANY_WEBHOOKS)
            wid = state.snowflakes.next()
            hook = {
                "id": str(wid),
                "type": 1,
                "guild_id": str(found[0].id),
                "channel_id": cid,
                "name": name,
                "avatar": None,
                "token": f"hooktoken-{wid}",
                "application_id": str(state.config.app_id),
                "user": state.bot_user(),
            }
            state.webhooks[wid] = hook
            return json_response(self._webhook_object(hook))

    def owns(self, webhook_id: int) -> bool:
        with self.state.lock:
            return webhook_id in self.state.webhooks

    def _hook(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
        hook = self.state.webhooks.get(int(request.match_info["app"]))
        if hook is None:
            return None, _err(UNKNOWN_WEBHOOK)
        if hook["token"] != request.match_info["token"]:
            return None, _err(INVALID_WEBHOOK_TOKEN)
        return hook, None

    async def execute(self, request: web.Request) -> web.Response:
        state = self.state
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        wait = request.query.get("wait", "").lower() in ("1", "true")
        thread_param = request.query.get("thread_id")
        with state.lock:
            hook, failed = self._hook(request)
            if hook is None:
                return failed  # type: ignore[return-value]
            found = state.channel(int(hook["channel_id"]))
            if found is None:
                return _err(UNKNOWN_CHANNEL)
            guild, channel = found
            username = body.get("username")
            if username is not None and (
                not isinstance(username, str)
                or not 1 <= len(username) <= 80
                or "clyde" in username.lower()
                or "discord" in username.lower()
            ):
                return _invalid("username", "Must be 1 to 80 characters, without clyde or discord.")
            thread_name = body.get("thread_name")
            if thread_param and thread_name:
                return _err(THREAD_ID_AND_NAME)
            if channel.type in FORUM_TYPES and not (thread_param or thread_name):
                return _err(FORUM_NEEDS_THREAD)
            message = {
                k: v for k, v in body.items() if k not in ("username", "avatar_url", "thread_name", "applied_tags")
            }
        invalid = validate_message(message)
        if invalid:
            return json_response(invalid[1], invalid[0])
        author = {
            **user_object(int(hook["id"]), username or hook["name"], bot=True),
            "avatar_url": body.get("avatar_url"),
        }
        with state.lock:
            target = channel.id
            message_id = None
            if thread_name and channel.type in FORUM_TYPES:
                message_id = state.snowflakes.next()
                thread = self._thread(guild, channel, message_id, str(thread_name)[:100], 1440)
                thread.applied_tags = [str(t) for t in body.get("applied_tags") or []]
                target = thread.id
            elif thread_param:
                existing = guild.channel(int(thread_param))
                if existing is None or existing.parent_id != channel.id:
                    return _err(UNKNOWN_CHANNEL)
                target = existing.id
            record = state.build_message(
                target,
                message,
                author=author,
                source="webhook",
                extra={"webhook_id": hook["id"]},
                message_id=message_id,
            )
        await self.server.echo_created(public(record))
        return json_response(public(record)) if wait else web.Response(status=204)

    async def webhook_message(self, request: web.Request) -> web.Response:
        state = self.state
        mid = int(request.match_info["mid"])
        with state.lock:
            hook, failed = self._hook(request)
            if hook is None:
                return failed  # type: ignore[return-value]
            # Without thread_id, only a message in the webhook's own channel is found (10008 otherwise).
            where = request.query.get("thread_id") or hook["channel_id"]
            record = state.msgs.get(mid)
            if record is None or record["deleted"] or record.get("webhook_id") != hook["id"]:
                return _err(UNKNOWN_MESSAGE)
            if record["channel_id"] != str(where):
                return _err(UNKNOWN_MESSAGE)
        if request.method == "GET":
            return json_response(public(record))
        if request.method == "DELETE":
            state.delete_message(mid)
            return web.Response(status=204)
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        invalid = validate_message(body, partial=True)
        if invalid:
            return json_response(invalid[1], invalid[0])
        edited = state.edit_message(mid, body)
        return json_response(public(edited)) if edited else _err(UNKNOWN_MESSAGE)


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
    server.route("PATCH", r"/channels/{cid:\d+}", h.edit_channel)
    server.route("DELETE", r"/channels/{cid:\d+}", h.delete_channel)
    server.route("GET", r"/channels/{cid:\d+}/webhooks", h.list_webhooks)
    server.route("POST", r"/channels/{cid:\d+}/webhooks", h.create_webhook)
    return h
