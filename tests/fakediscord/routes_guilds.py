"""The bot joining and leaving servers: ``DELETE /users/@me/guilds/{guild.id}`` and a join's GUILD_CREATE.

Discord (API v10, ``leave_guild``): the bot leaves with 204 and no body; the gateway then sends GUILD_DELETE
``{"id"}`` without ``unavailable`` (a removal, not an outage), and the server's channels are out of reach. A
server the bot is not in answers 404, code 10004 Unknown Guild. Joining sends GUILD_CREATE with the full
guild and no ``unavailable`` key, which is how discord.py tells a join (``on_guild_join``) from a server
coming back after an outage.
"""

from __future__ import annotations

import copy
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from .responses import error
from .world import GuildSpec, MemberSpec, guild_object

if TYPE_CHECKING:
    from .server import FakeServer
    from .store import FakeState

T = TypeVar("T")


class GuildRoutes:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.state = server.state

    async def leave(self, request: web.Request) -> web.Response:
        gid = int(request.match_info["gid"])
        with self.state.lock:
            guild = self.state.guild(gid)
            if guild is None:
                return error(404, 10004, "Unknown Guild")
            self.state.guilds.remove(guild)
            guild.members = [m for m in guild.members if m.id != self.state.config.bot_id]
            self.state.departed.append(guild)
        # Not an echo of the bot's own action that tests may switch off: Discord always tells the bot it left.
        await self.server.gateway.broadcast("GUILD_DELETE", {"id": str(gid)})
        return web.Response(status=204)


class GuildsMixin:
    """``FakeDiscord``'s side: add the bot to a server while it runs, and what it left."""

    state: FakeState
    server: FakeServer
    if TYPE_CHECKING:  # FakeDiscord's

        def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T | None: ...

    def join_guild(self, spec: GuildSpec) -> int:
        """The bot is added to ``spec`` (someone used its invite link): GUILD_CREATE goes to its shard's
        connection. Returns how many connections got it."""
        cfg = self.state.config
        with self.state.lock:
            if self.state.guild(spec.id) is not None:
                raise ValueError(f"the bot is already in guild {spec.id}")
            if spec.member(cfg.bot_id) is None:
                spec.members.append(MemberSpec(id=cfg.bot_id, username=cfg.bot_name, bot=True))
            self.state.guilds.append(spec)
            data: dict[str, Any] = guild_object(
                spec, bot_id=cfg.bot_id, app_id=cfg.app_id, bot_name=cfg.bot_name, full=True
            )
        data.pop("unavailable", None)
        return self._call(self.server.gateway.broadcast("GUILD_CREATE", data)) or 0

    @property
    def departed_guilds(self) -> list[GuildSpec]:
        """Servers the bot left (``DELETE /users/@me/guilds/{id}``), oldest first."""
        with self.state.lock:
            return copy.deepcopy(self.state.departed)


def register(server: FakeServer) -> None:
    h = GuildRoutes(server)
    server.route("DELETE", r"/users/@me/guilds/{gid:\d+}", h.leave)
