"""REST routes: the bot user, the application, gateway discovery, channels, messages, guilds, roles."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .limits import validate_message
from .responses import BODY, FILES, error, json_response
from .routes_kinds import post_message_in_forum
from .sharding import gateway_bot_body
from .store import public
from .world import EDITOR_ID, SEND_MESSAGES, VIEW_CHANNEL, channel_object, guild_object, user_object

if TYPE_CHECKING:
    from .server import FakeServer

log = logging.getLogger(__name__)

GUILD_MESSAGES, GUILD_MEMBERS = 1 << 9, 1 << 1
UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_GUILD = (404, 10004, "Unknown Guild")
MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")


class ChannelRoutes:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.state = server.state

    def _json(self, data: Any, status: int = 200) -> web.Response:
        return json_response(data, status)

    def _err(self, err: tuple[int, int, str]) -> web.Response:
        return error(*err)

    # ----- identity ------------------------------------------------------------------------
    async def me(self, request: web.Request) -> web.Response:
        user = {
            **self.state.bot_user(),
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
            "premium_type": 0,
        }
        return self._json(user)

    async def application(self, request: web.Request) -> web.Response:
        cfg = self.state.config
        return self._json(
            {
                "id": str(cfg.app_id),
                "name": cfg.bot_name,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": user_object(EDITOR_ID, "editor"),
                "team": None,
                "flags": 0,
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "tags": [],
                "install_params": None,
                "custom_install_url": None,
                "redirect_uris": [],
                "approximate_guild_count": len(self.state.guilds),
                "bot": self.state.bot_user(),
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        return self._json({"url": self.server.gateway_url()})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        gateway = self.server.gateway
        return self._json(gateway_bot_body(self.server.gateway_url(), gateway.shard_count, len(gateway.sessions)))

    # ----- channels and messages -----------------------------------------------------------
    async def get_channel(self, request: web.Request) -> web.Response:
        found = self.state.channel(int(request.match_info["cid"]))
        if found is None:
            return self._err(UNKNOWN_CHANNEL)
        with self.state.lock:
            perms = self.state.bot_permissions(*found)
            data = channel_object(found[1], found[0].id)
        # Discord hides a channel the bot cannot view.
        return self._json(data) if perms & VIEW_CHANNEL else self._err(MISSING_ACCESS)

    async def post_message(self, request: web.Request) -> web.Response:
        state, cid = self.state, int(request.match_info["cid"])
        found = state.channel(cid)
        if found is None:
            return self._err(UNKNOWN_CHANNEL)
        with state.lock:
            forbidden, delay = cid in state.forbidden_channels, state.delay
            perms = state.bot_permissions(*found)
        if not perms & VIEW_CHANNEL:
            return self._err(MISSING_ACCESS)
        if forbidden or not perms & SEND_MESSAGES:
            return self._err(MISSING_PERMISSIONS)
        refused = post_message_in_forum(self.server, cid)
        if refused is not None:
            return refused
        if delay > 0:
            await asyncio.sleep(delay)
        if await self._held(cid):
            return self._json({"message": "held post dropped", "code": 0}, 503)
        body = request[BODY]
        # A payload that names its files has them completed by attach() already (ids, image width and height).
        if isinstance(body, dict) and request[FILES] and not body.get("attachments"):
            body = {
                **body,
                "attachments": [
                    {
                        "id": str(state.snowflakes.next()),
                        "filename": f["filename"],
                        "size": f["size"],
                        "content_type": f["content_type"],
                        "url": f"https://cdn.example.invalid/{f['filename']}",
                        "proxy_url": f"https://media.example.invalid/{f['filename']}",
                    }
                    for f in request[FILES]
                ],
            }
        invalid = validate_message(body)
        if invalid:
            return self._json(invalid[1], invalid[0])
        extra: dict[str, Any] = {}
        if body.get("message_reference"):
            extra = {"type": 19, "message_reference": body["message_reference"]}
        with state.lock:
            nonce = body.get("nonce")
            existing = state.find_by_nonce(cid, nonce) if nonce is not None and body.get("enforce_nonce") else None
            if existing is not None:
                log.debug("enforce_nonce: returning existing message %s", existing["id"])
                return self._json(public(existing))
            record = state.build_message(cid, body, extra=extra)
        await self.server.echo_created(public(record))
        return self._json(public(record))

    async def _held(self, cid: int) -> bool:
        """Hang while ``hold_posts`` holds this channel's posts; True when this post was held (then dropped)."""
        state = self.state
        with state.lock:
            after = state.holds.get(cid)
            if after is None or len(state.channel_messages(cid, False)) < after:
                return False
            state.held += 1
        try:
            while True:
                with state.lock:
                    if cid not in state.holds:
                        return True
                await asyncio.sleep(0.05)
        finally:
            with state.lock:
                state.held -= 1

    async def list_messages(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        if self.state.channel(cid) is None:
            return self._err(UNKNOWN_CHANNEL)
        try:
            limit = max(1, min(100, int(request.query.get("limit", "50"))))
        except ValueError:
            limit = 50
        records = self.state.channel_messages(cid)
        before, after = request.query.get("before"), request.query.get("after")
        if before and before.isdigit():
            records = [r for r in records if int(r["id"]) < int(before)]
        if after and after.isdigit():
            records = [r for r in records if int(r["id"]) > int(after)]
        records.sort(key=lambda r: int(r["id"]), reverse=True)
        return self._json([public(r) for r in records[:limit]])

    async def get_message(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["cid"]), int(request.match_info["mid"])
        if self.state.channel(cid) is None:
            return self._err(UNKNOWN_CHANNEL)
        record = self.state.get_message(mid, cid)
        return self._json(public(record)) if record else self._err(UNKNOWN_MESSAGE)

    async def edit_message(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["cid"]), int(request.match_info["mid"])
        found = self.state.channel(cid)
        if found is None:
            return self._err(UNKNOWN_CHANNEL)
        if self.state.get_message(mid, cid) is None:
            return self._err(UNKNOWN_MESSAGE)
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        invalid = validate_message(body, partial=True)
        if invalid:
            return self._json(invalid[1], invalid[0])
        record = self.state.edit_message(mid, body)
        if record is None:
            return self._err(UNKNOWN_MESSAGE)
        await self.server.broadcast("MESSAGE_UPDATE", {**public(record), "guild_id": str(found[0].id)}, GUILD_MESSAGES)
        return self._json(public(record))

    async def delete_message(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["cid"]), int(request.match_info["mid"])
        found = self.state.channel(cid)
        if found is None:
            return self._err(UNKNOWN_CHANNEL)
        if not self.state.delete_message(mid, cid):
            return self._err(UNKNOWN_MESSAGE)
        event = {"id": str(mid), "channel_id": str(cid), "guild_id": str(found[0].id)}
        await self.server.broadcast("MESSAGE_DELETE", event, GUILD_MESSAGES)
        return web.Response(status=204)

    async def typing(self, request: web.Request) -> web.Response:
        if self.state.channel(int(request.match_info["cid"])) is None:
            return self._err(UNKNOWN_CHANNEL)
        return web.Response(status=204)

    # ----- guilds --------------------------------------------------------------------------
    async def guild_info(self, request: web.Request) -> web.Response:
        state = self.state
        guild = state.guild(int(request.match_info["gid"]))
        if guild is None:
            return self._err(UNKNOWN_GUILD)
        cfg = state.config
        with state.lock:
            data = guild_object(guild, bot_id=cfg.bot_id, app_id=cfg.app_id, bot_name=cfg.bot_name, full=False)
            kind = request.path.rsplit("/", 1)[-1]
            if kind == "channels":
                return self._json([channel_object(c, guild.id) for c in guild.channels])
            if kind == "roles":
                return self._json(data["roles"])
        return self._json(data)

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.state.guild(int(request.match_info["gid"]))
        if guild is None:
            return self._err(UNKNOWN_GUILD)
        with self.state.lock:
            member = self.state.member_obj(guild, int(request.match_info["uid"]))
        return self._json(member) if member else self._err((404, 10007, "Unknown Member"))

    async def member_role(self, request: web.Request) -> web.Response:
        gid, uid, rid = (int(request.match_info[k]) for k in ("gid", "uid", "rid"))
        status, body = self.state.change_role(gid, uid, rid, add=request.method == "PUT")
        if status != 204:
            return self._json(body, status)
        guild = self.state.guild(gid)
        with self.state.lock:
            member = self.state.member_obj(guild, uid) if guild else None
        if member is not None:
            await self.server.broadcast("GUILD_MEMBER_UPDATE", {**member, "guild_id": str(gid)}, GUILD_MEMBERS)
        return web.Response(status=204)


def register(server: FakeServer) -> None:
    h = ChannelRoutes(server)
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/users/@me", h.me),
        ("GET", "/oauth2/applications/@me", h.application),
        ("GET", "/applications/@me", h.application),
        ("GET", "/gateway", h.gateway),
        ("GET", "/gateway/bot", h.gateway_bot),
        ("GET", r"/channels/{cid:\d+}", h.get_channel),
        ("POST", r"/channels/{cid:\d+}/messages", h.post_message),
        ("GET", r"/channels/{cid:\d+}/messages", h.list_messages),
        ("GET", r"/channels/{cid:\d+}/messages/{mid:\d+}", h.get_message),
        ("PATCH", r"/channels/{cid:\d+}/messages/{mid:\d+}", h.edit_message),
        ("DELETE", r"/channels/{cid:\d+}/messages/{mid:\d+}", h.delete_message),
        ("POST", r"/channels/{cid:\d+}/typing", h.typing),
        ("GET", r"/guilds/{gid:\d+}", h.guild_info),
        ("GET", r"/guilds/{gid:\d+}/channels", h.guild_info),
        ("GET", r"/guilds/{gid:\d+}/roles", h.guild_info),
        ("GET", r"/guilds/{gid:\d+}/members/{uid:\d+}", h.get_member),
        ("PUT", r"/guilds/{gid:\d+}/members/{uid:\d+}/roles/{rid:\d+}", h.member_role),
        ("DELETE", r"/guilds/{gid:\d+}/members/{uid:\d+}/roles/{rid:\d+}", h.member_role),
    ]
    for method, path, handler in routes:
        server.route(method, path, handler)
