"""``FakeDiscord``: the fake server in a background thread, driven from synchronous test or bench code."""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, NamedTuple, TypeVar

from aiohttp import web

from . import interactions
from .control import PATIENCE, ControlMixin
from .gateway_records import GatewayRecordsMixin
from .ratelimit import Rate
from .routes_guilds import GuildsMixin
from .routes_signal import SignalMixin
from .server import FakeServer
from .sharding import ShardRecordsMixin
from .store import Config, FakeState, Recordings, public
from .world import DEFAULT_BOT_ID, READER_ID, ChannelSpec, GuildSpec, MemberSpec, channel_object, default_guild

log = logging.getLogger(__name__)

T = TypeVar("T")
GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 15


class SentInteraction(NamedTuple):
    id: int
    token: str


class FakeDiscord(ControlMixin, ShardRecordsMixin, GuildsMixin, SignalMixin, GatewayRecordsMixin):
    """A Discord-compatible REST + gateway server on 127.0.0.1 (see the package docstring)."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        bot_id: int = DEFAULT_BOT_ID,
        application_id: int = DEFAULT_BOT_ID,
        bot_name: str = "Newsdesk",
        guilds: Sequence[GuildSpec | dict[str, Any]] | None = None,
        channel_rate: Rate | None = (5, 5.0),
        route_rate: Rate | None = (50, 1.0),
        global_rate: Rate | None = (50, 1.0),
        interaction_timeout: float | None = 3.0,
        echo_events: bool = True,
        host: str = "127.0.0.1",
        shard_count: int = 1,
    ) -> None:
        specs = [g if isinstance(g, GuildSpec) else GuildSpec.from_dict(g) for g in guilds or []]
        config = Config(
            token=token,
            bot_id=bot_id,
            app_id=application_id,
            bot_name=bot_name,
            interaction_timeout=interaction_timeout,
            echo_events=echo_events,
        )
        self.state = FakeState(
            config,
            specs or [default_guild(bot_id, bot_name)],
            channel_rate=channel_rate,
            route_rate=route_rate,
            global_rate=global_rate,
        )
        self.host = host
        self.port = 0
        self.server = FakeServer(self.state, lambda: self.gateway_url)
        self.server.gateway.shard_count = shard_count  # GET /gateway/bot's recommendation
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._payloads: dict[int, dict[str, Any]] = {}

    # ----- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeDiscord:
        if self._thread is not None:
            raise RuntimeError("FakeDiscord already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name="fakediscord", daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError("FakeDiscord did not start within 15 s")
        if failure:
            self._thread = None
            raise RuntimeError("FakeDiscord failed to start") from failure[0]
        log.info("fake Discord listening on %s", self.api_base)
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._astart())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _astart(self) -> None:
        self._runner = web.AppRunner(self.server.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _astop(self) -> None:
        await self.server.gateway.close_all(1001)
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._astop(), self._loop).result(15)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)
            self._thread = None

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- addresses and identity ----------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def token(self) -> str:
        return self.state.config.token

    @property
    def bot_id(self) -> int:
        return self.state.config.bot_id

    @property
    def application_id(self) -> int:
        return self.state.config.app_id

    @property
    def guilds(self) -> list[GuildSpec]:
        return self.state.guilds

    # ----- gateway -------------------------------------------------------------------------
    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T | None:
        if self._loop is None:
            coro.close()
            raise RuntimeError("FakeDiscord is not running")
        if self._thread is threading.current_thread():
            self._loop.create_task(coro)  # called from the server's own loop: fire and forget
            return None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a DISPATCH (op 0) to all connected sessions; returns how many got it."""
        if event == "INTERACTION_CREATE" and int(data["id"]) not in self.state.interactions:
            interactions.register_interaction(self.state, data)
        reached = self._call(self.server.gateway.broadcast(event, data)) or 0
        if not reached:
            log.warning("dispatch %s: no gateway session is connected", event)
        return reached

    def reconnect(self) -> int:
        """Send op 7 RECONNECT to every connected session (clients then RESUME)."""
        return self._call(self.server.gateway.reconnect_all()) or 0

    def disconnect(self, code: int = 4000) -> None:
        """Close every gateway connection with ``code`` (4000 is resumable)."""
        self._call(self.server.gateway.close_all(code))

    # ----- recordings ----------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.rec.requests)

    def requests_since(self, start: int) -> list[dict[str, Any]]:
        """Recorded requests from index ``start`` on: copies only the tail, so a test polling for what came after
        a point does not deep-copy the whole history under the server's lock on every look."""
        with self.state.lock:
            return copy.deepcopy(self.state.rec.requests[start:])

    def requests_to(self, method: str, path_pattern: str) -> list[dict[str, Any]]:
        """Recorded requests whose method matches (``*`` = any) and whose path matches the regex."""
        rx = re.compile(path_pattern)
        return [r for r in self.requests if method in ("*", r["method"]) and rx.search(r["path"])]

    def messages(self, channel_id: int | str | None = None, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Recorded messages (oldest first), each with ``edits``, ``deleted`` and ``pinged``."""
        return self.state.channel_messages(int(channel_id) if channel_id is not None else None, include_deleted)

    def message_count(self, channel_id: int | str | None = None) -> int:
        """Number of live (not deleted) messages, without copying them (cheap for benchmarks)."""
        cid = str(channel_id) if channel_id is not None else None
        with self.state.lock:
            return sum(
                1 for r in self.state.msgs.values() if not r["deleted"] and (cid is None or r["channel_id"] == cid)
            )

    @property
    def request_count(self) -> int:
        with self.state.lock:
            return len(self.state.rec.requests)

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.rec.callbacks)

    def callback_for(self, interaction_id: int) -> dict[str, Any] | None:
        return next((c for c in self.callbacks if c["interaction_id"] == int(interaction_id)), None)

    def answer_for(self, sent: SentInteraction, timeout: float = PATIENCE) -> dict[str, Any]:
        """What the member saw: the interaction callback, or for a deferred one (type 5, "thinking...") the
        callback with ``data`` replaced by its first follow-up (``POST /webhooks/{app}/{token}``)."""
        callback = self.wait_for(lambda: self.callback_for(sent.id), timeout=timeout)
        if callback["type"] != 5:
            return callback
        pattern = rf"^/webhooks/\d+/{re.escape(sent.token)}$"
        followup = self.wait_for(lambda: self.requests_to("POST", pattern), timeout=timeout)[0]
        return {**callback, "data": followup["json"]}

    @property
    def role_changes(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.rec.role_changes)

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.commands.get(guild_id, []))

    @property
    def count_429(self) -> int:
        with self.state.lock:
            return self.state.rec.count_429

    # ----- channel kinds -------------------------------------------------------------------
    def channel_spec(self, channel_id: int) -> ChannelSpec | None:
        """The live spec of a channel or thread (a copy: change the fake through its methods)."""
        with self.state.lock:
            found = self.state.channel(int(channel_id))
            return copy.deepcopy(found[1]) if found else None

    def threads(self, parent_id: int) -> list[ChannelSpec]:
        """Threads (forum posts included) under ``parent_id`` that still exist."""
        with self.state.lock:
            return [copy.deepcopy(c) for g in self.state.guilds for c in g.channels if c.parent_id == int(parent_id)]

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        """Channel webhooks created through the API, tokens included."""
        with self.state.lock:
            return copy.deepcopy(list(self.state.webhooks.values()))

    def set_crosspost_limit(self, per_hour: int) -> None:
        with self.state.lock:
            self.state.crosspost_limit = int(per_hour)

    def reset_messages(self) -> None:
        with self.state.lock:
            self.state.msgs.clear()
            self.state.nonces.clear()

    def reset(self) -> None:
        """Forget messages, requests, callbacks, 429 count, failures, delays and rate-limit windows."""
        with self.state.lock:
            self.reset_messages()
            old = self.state.rec
            self.state.rec = Recordings(
                identifies=old.identifies, resume_count=old.resume_count, gateway_connects=old.gateway_connects
            )
            self.state.failures.clear()
            self.state.forbidden_channels.clear()
            self.state.roles_forbidden = False
            self.state.delay = 0.0
            self.state.limiter.reset()

    # ----- interactions and user activity --------------------------------------------------
    def send_interaction(
        self,
        kind: int = 2,
        *,
        name: str | None = None,
        options: dict[str, Any] | list[dict[str, Any]] | None = None,
        subcommand: str | None = None,
        subcommand_group: str | None = None,
        focused: str | None = None,
        custom_id: str | None = None,
        component_type: int = 2,
        values: list[str] | None = None,
        message_id: int | None = None,
        channel_id: int | None = None,
        user_id: int = READER_ID,
        permissions: int | None = None,
        roles: list[int] | None = None,
        locale: str = "en-US",
        resolved: dict[str, Any] | None = None,
        context: int = 0,
        user_install: bool = False,
    ) -> SentInteraction:
        """Dispatch an INTERACTION_CREATE (2 command, 3 component, 4 autocomplete); returns (id, token).
        ``context`` 1 or 2 (a DM, ``channel_id`` any id) and ``user_install``: see ``build_interaction``."""
        payload = interactions.build_interaction(
            self.state,
            kind=kind,
            channel_id=int(channel_id or self.state.guilds[0].channels[0].id),
            user_id=user_id,
            permissions=permissions,
            roles=roles,
            name=name,
            options=options,
            subcommand=subcommand,
            subcommand_group=subcommand_group,
            focused=focused,
            custom_id=custom_id,
            component_type=component_type,
            values=values,
            message_id=message_id,
            locale=locale,
            resolved=resolved,
            context=context,
            user_install=user_install,
        )
        self._payloads[int(payload["id"])] = payload
        if not self._call(self.server.gateway.broadcast("INTERACTION_CREATE", payload)):
            log.warning("send_interaction: no gateway session is connected")
        return SentInteraction(int(payload["id"]), payload["token"])

    def interaction_payload(self, interaction_id: int) -> dict[str, Any]:
        return copy.deepcopy(self._payloads[int(interaction_id)])

    def add_channel(self, channel_id: int, name: str, guild_id: int | None = None) -> ChannelSpec:
        """A text channel created while the bot runs (CHANNEL_CREATE is dispatched, as Discord does)."""
        with self.state.lock:
            guild = self.state.guild(guild_id) if guild_id is not None else self.state.guilds[0]
            if guild is None:
                raise ValueError(f"unknown guild {guild_id}")
            spec = ChannelSpec(id=int(channel_id), name=name, position=len(guild.channels))
            guild.channels.append(spec)
            data = channel_object(spec, guild.id)
        self._call(self.server.gateway.broadcast("CHANNEL_CREATE", data, 1))  # GUILDS intent
        return spec

    def post_user_message(self, channel_id: int, content: str, user_id: int = READER_ID) -> dict[str, Any]:
        """A member posts in a channel: stored and dispatched as MESSAGE_CREATE (content only with the intent)."""
        state = self.state
        with state.lock:
            found = state.channel(int(channel_id))
            if found is None:
                raise ValueError(f"unknown channel {channel_id}")
            guild = found[0]
            if guild.member(user_id) is None:
                guild.members.append(MemberSpec(id=user_id, username=f"user{user_id}"))
            member = state.member_obj(guild, user_id) or {}
            record = state.build_message(
                int(channel_id), {"content": content}, author=member.pop("user"), source="user"
            )
        event = {**public(record), "guild_id": str(guild.id), "member": member}
        gateway = self.server.gateway
        self._call(gateway.broadcast("MESSAGE_CREATE", event, GUILD_MESSAGES | MESSAGE_CONTENT))
        blank = {**event, "content": "", "embeds": [], "components": [], "attachments": []}
        self._call(gateway.broadcast("MESSAGE_CREATE", blank, GUILD_MESSAGES, without=MESSAGE_CONTENT))
        return record
