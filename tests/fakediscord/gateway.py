"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME, dispatches."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .sharding import event_guild, reaches, shard_of
from .store import FakeState
from .world import guild_object, member_object

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 41250
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGES, DIRECT_MESSAGE_REACTIONS = 1 << 9, 1 << 10, 1 << 12, 1 << 13
# Like Discord, a session gets these only with their intent in IDENTIFY: (in a server, in a DM).
EVENT_INTENTS = {
    **dict.fromkeys(
        ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"), (GUILD_MESSAGES, DIRECT_MESSAGES)
    ),
    **dict.fromkeys(
        (
            "MESSAGE_REACTION_ADD",
            "MESSAGE_REACTION_REMOVE",
            "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI",
        ),
        (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    ),
}


def required_intent(event: str, data: dict[str, Any]) -> int | None:
    """The intent a session needs to receive ``event`` (None: every session gets it)."""
    intents = EVENT_INTENTS.get(event)
    if intents is None:
        return None
    return intents[0] if data.get("guild_id") else intents[1]


@dataclass
class Session:
    session_id: str
    intents: int
    shard: tuple[int, int]
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    on_dispatch: Callable[[Session, str, dict[str, Any]], None] | None = None  # the harness's record

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        async with self.send_lock:
            if self.ws is None or self.ws.closed:
                return
            self.seq += 1
            await self.ws.send_str(json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data}))
            if self.on_dispatch is not None:
                self.on_dispatch(self, event, data)


class Gateway:
    def __init__(self, state: FakeState, gateway_url: Callable[[], str]) -> None:
        self.state = state
        self.gateway_url = gateway_url
        self.sessions: dict[str, Session] = {}
        self.shard_count = 1  # what GET /gateway/bot recommends
        # Every dispatch sent: {"session", "shard": [id, count], "event", "guild_id"}; read under state.lock.
        self.received: list[dict[str, Any]] = []

    def _record(self, session: Session, event: str, data: dict[str, Any]) -> None:
        entry = {
            "session": session.session_id,
            "shard": list(session.shard),
            "event": event,
            "guild_id": event_guild(event, data),
            "id": data.get("id"),
        }
        with self.state.lock:
            self.received.append(entry)

    def connected(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.ws is not None and not s.ws.closed]

    async def broadcast(
        self, event: str, data: dict[str, Any], intent: int | None = None, without: int = 0, *, fresh: bool = False
    ) -> int:
        """Dispatch to connected sessions having all ``intent`` bits and none of ``without``; returns how many.
        ``fresh``: ``data`` was made for this one dispatch and nobody keeps it, so it is sent without a copy (a
        benchmark's stream of thousands a second)."""
        if intent is None:
            intent = required_intent(event, data)
        # Like Discord, a guild's events go only to its shard's connection (events without a guild: shard 0).
        targets = [
            s
            for s in self.connected()
            if (intent is None or s.intents & intent == intent)
            and not s.intents & without
            and reaches(s.shard, event, data)
        ]
        for session in targets:
            try:
                await session.dispatch(event, data if fresh and len(targets) == 1 else copy.deepcopy(data))
            except ConnectionError:
                log.debug("session %s went away during dispatch", session.session_id)
        return len(targets)

    async def reconnect_all(self) -> int:
        sessions = self.connected()
        for session in sessions:
            if session.ws is not None:
                await session.ws.send_str(json.dumps({"op": RECONNECT, "d": None, "s": None, "t": None}))
        return len(sessions)

    async def close_all(self, code: int = 1001) -> None:
        for session in self.connected():
            if session.ws is not None:
                await session.ws.close(code=code)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        log.debug("gateway connection from %s query=%s", request.remote, dict(request.query))
        with self.state.lock:
            self.state.rec.gateway_connects.append(dict(request.query))
        await ws.send_str(
            json.dumps({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL}, "s": None, "t": None})
        )
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op, data = payload.get("op"), payload.get("d")
                if op == HEARTBEAT:
                    await ws.send_str(json.dumps({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None}))
                elif op == IDENTIFY:
                    session = await self._identify(ws, session, data or {})
                elif op == RESUME:
                    session = await self._resume(ws, data or {})
                elif op == REQUEST_MEMBERS and session is not None:
                    await self._members_chunk(session, data or {})
                if ws.closed:
                    break
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, current: Session | None, data: dict[str, Any]
    ) -> Session | None:
        state = self.state
        if current is not None:
            await ws.close(code=4005, message=b"Already authenticated.")
            return current
        if data.get("token") != state.config.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        with state.lock:
            state.rec.identifies.append(copy.deepcopy(data))
            shard_id, shard_count = data.get("shard") or (0, 1)
            guilds = [g for g in state.guilds if shard_of(g.id, shard_count) == shard_id]
            cfg = state.config
            full = [
                guild_object(g, bot_id=cfg.bot_id, app_id=cfg.app_id, bot_name=cfg.bot_name, full=True) for g in guilds
            ]
            user = {**state.bot_user(), "verified": True, "mfa_enabled": False, "email": None}
        session = Session(
            session_id=secrets.token_hex(16),
            intents=int(data.get("intents") or 0),
            shard=(shard_id, shard_count),
            ws=ws,
            on_dispatch=self._record,
        )
        self.sessions[session.session_id] = session
        ready = {
            "v": 10,
            "user": user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url(),
            "shard": [shard_id, shard_count],
            "application": {"id": str(cfg.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "user_settings": {},
            "auth": {},
        }
        await session.dispatch("READY", ready)
        for guild in full:
            await session.dispatch("GUILD_CREATE", guild)
        log.debug("session %s identified (intents=%s)", session.session_id, session.intents)
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.state.config.token or session is None:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False, "s": None, "t": None}))
            return None
        if session.ws is not None and session.ws is not ws and not session.ws.closed:
            await session.ws.close(code=4009)
        session.ws = ws
        with self.state.lock:
            self.state.rec.resume_count += 1
        await session.dispatch("RESUMED", {})
        return session

    async def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        state = self.state
        ids = data.get("guild_id")
        for gid in ids if isinstance(ids, list) else [ids]:
            with state.lock:
                guild = state.guild(int(gid or 0))
                if guild is None:
                    continue
                wanted = {int(u) for u in data.get("user_ids") or []}
                bot_roles = [r.id for r in guild.roles if r.managed]
                members = [
                    member_object(m, bot_id=state.config.bot_id, bot_role_ids=bot_roles)
                    for m in guild.members
                    if not wanted or m.id in wanted
                ]
            chunk = {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "presences": [],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
