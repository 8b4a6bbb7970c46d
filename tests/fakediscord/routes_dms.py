"""Direct messages: ``POST /users/@me/channels`` opens (or returns) a member's DM channel (type 1), and messages
posted there are stored like channel messages. A member's DMs can be closed (403 50007 on a post) and a user id
unknown (404 10013 on opening), as Discord answers. Registered before the channel routes: their message routes
answer for DM channels first and hand every other channel to :class:`ChannelRoutes`."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .limits import validate_message
from .responses import BODY, error, json_response
from .routes_channels import ChannelRoutes
from .store import public
from .world import user_object

if TYPE_CHECKING:
    from .server import FakeServer

DMS_CLOSED = (403, 50007, "Cannot send messages to this user")
UNKNOWN_USER = (404, 10013, "Unknown User")
INVALID_BODY = (400, 50035, "Invalid Form Body")


class DmRoutes:
    """The fake's DM channels; tests reach it as ``fake.server.dms`` to close DMs or make a user unknown."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.state = server.state
        self.channels = ChannelRoutes(server)
        self.lock = threading.Lock()
        self.by_user: dict[int, int] = {}  # user id → DM channel id
        self.by_channel: dict[int, int] = {}  # DM channel id → user id
        self.closed: set[int] = set()
        self.unknown: set[int] = set()
        self.opened = 0  # POST /users/@me/channels answered
        # DM messages made (a nonce's repeat not counted) and when the last one was: for a bench to poll cheaply.
        self.posted = 0
        self.last_posted_at = 0.0

    # ----- control -------------------------------------------------------------------------
    def close_dms(self, user_id: int) -> None:
        with self.lock:
            self.closed.add(user_id)

    def forget_user(self, user_id: int) -> None:
        with self.lock:
            self.unknown.add(user_id)

    def channel_of(self, user_id: int) -> int | None:
        with self.lock:
            return self.by_user.get(user_id)

    def messages_to(self, user_id: int) -> list[dict[str, Any]]:
        channel = self.channel_of(user_id)
        return [] if channel is None else self.state.channel_messages(channel)

    # ----- routes --------------------------------------------------------------------------
    async def open_dm(self, request: web.Request) -> web.Response:
        body = request[BODY]
        recipient = body.get("recipient_id") if isinstance(body, dict) else None
        if not str(recipient or "").isdigit():
            return error(*INVALID_BODY)
        user_id = int(str(recipient))
        with self.lock:
            if user_id in self.unknown:
                return error(*UNKNOWN_USER)
            channel_id = self.by_user.get(user_id)
            if channel_id is None:
                channel_id = self.state.snowflakes.next()
                self.by_user[user_id] = channel_id
                self.by_channel[channel_id] = user_id
            self.opened += 1
        return json_response(self._channel(channel_id, user_id))

    def _channel(self, channel_id: int, user_id: int) -> dict[str, Any]:
        last = self.state.channel_messages(channel_id)
        return {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": last[-1]["id"] if last else None,
            "flags": 0,
            "recipients": [user_object(user_id, f"user{user_id}")],
        }

    async def post_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        with self.lock:
            user_id = self.by_channel.get(cid)
            closed = user_id in self.closed
        if user_id is None:
            return await self.channels.post_message(request)
        if closed:
            return error(*DMS_CLOSED)
        body = request[BODY]
        invalid = validate_message(body)
        if invalid:
            return json_response(invalid[1], invalid[0])
        state = self.state
        with state.lock:
            nonce = body.get("nonce")
            existing = state.find_by_nonce(cid, nonce) if nonce is not None and body.get("enforce_nonce") else None
            if existing is not None:
                return json_response(public(existing))
            record = state.build_message(cid, body)
        with self.lock:
            self.posted += 1
            self.last_posted_at = time.time()
        return json_response(public(record))

    async def list_messages(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        with self.lock:
            known = cid in self.by_channel
        if not known:
            return await self.channels.list_messages(request)
        records = sorted(self.state.channel_messages(cid), key=lambda r: int(r["id"]), reverse=True)
        return json_response([public(r) for r in records[:50]])


def register(server: FakeServer) -> DmRoutes:
    h = DmRoutes(server)
    server.route("POST", "/users/@me/channels", h.open_dm)
    server.route("POST", r"/channels/{cid:\d+}/messages", h.post_message)
    server.route("GET", r"/channels/{cid:\d+}/messages", h.list_messages)
    return h
