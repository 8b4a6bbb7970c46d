"""REST routes: application commands, interaction callbacks and interaction webhooks."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import interactions
from .responses import BODY, error, json_response

if TYPE_CHECKING:
    from .server import FakeServer
    from .store import FakeState

log = logging.getLogger(__name__)

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
CONTEXTS = (0, 1, 2)  # a server, the bot's DM, other DMs and group DMs
INTEGRATION_TYPES = (0, 1)  # server install, user install


def _invalid(path: list[str | int], code: str, message: str) -> dict[str, Any]:
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _check_command(index: int, item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return _invalid([index], "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    kind = item.get("type", 1)
    name = item.get("name")
    if not isinstance(name, str) or not COMMAND_NAME.match(name) or (kind == 1 and name != name.lower()):
        return _invalid([index, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = item.get("description") or ""
    if kind == 1 and not 1 <= len(description) <= 100:
        return _invalid([index, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if len(item.get("options") or []) > 25:
        return _invalid([index, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    # Where a command is offered (discord-openapi.json ApplicationCommandCreateRequest): null, or a non-empty
    # list of distinct InteractionContextType / ApplicationIntegrationType values.
    for key, allowed in (("contexts", CONTEXTS), ("integration_types", INTEGRATION_TYPES)):
        values = item.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or not values or len(set(map(str, values))) != len(values):
            return _invalid([index, key], "BASE_TYPE_BAD_LENGTH", "Must be a non-empty list of unique values.")
        for at, value in enumerate(values):
            if isinstance(value, bool) or value not in allowed:
                return _invalid([index, key, at], "ENUM_TYPE_COERCE", f"Value {value!r} is not a valid enum value.")
    return None


def _build_command(
    state: FakeState, item: dict[str, Any], scope: int | None, previous: dict[tuple[str, int], dict[str, Any]]
) -> dict[str, Any]:
    kind = int(item.get("type", 1))
    prev = previous.get((item["name"], kind))
    command = {
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        "name_localizations": None,
        "description_localizations": None,
        **item,
        "id": prev["id"] if prev else str(state.snowflakes.next()),
        "application_id": str(state.config.app_id),
        "version": str(state.snowflakes.next()),
        "type": kind,
    }
    if scope is not None:
        command["guild_id"] = str(scope)
    return command


class AppRoutes:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.state = server.state

    def _scope(self, request: web.Request) -> tuple[int | None, web.Response | None]:
        if int(request.match_info["app"]) != self.state.config.app_id:
            return None, error(403, 50001, "Missing Access")
        gid = request.match_info.get("gid")
        guild = self.state.guild(int(gid)) if gid is not None else None
        if gid is not None and guild is None:
            return None, error(404, 10004, "Unknown Guild")
        # As Discord: a server the bot is not in, or joined without applications.commands, is Missing Access.
        if guild is not None and (not guild.commands_scope or guild.member(self.state.config.bot_id) is None):
            return None, error(403, 50001, "Missing Access")
        return (int(gid) if gid is not None else None), None

    async def get_commands(self, request: web.Request) -> web.Response:
        scope, err = self._scope(request)
        if err is not None:
            return err
        with self.state.lock:
            return json_response(list(self.state.commands.get(scope, [])))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope, err = self._scope(request)
        if err is not None:
            return err
        items = request[BODY]
        if not isinstance(items, list):
            return json_response(_invalid([], "BASE_TYPE_LIST", "Must be a list."), 400)
        if len(items) > 100:
            return json_response(_invalid([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."), 400)
        for index, item in enumerate(items):
            invalid = _check_command(index, item)
            if invalid:
                return json_response(invalid, 400)
        keys = [(i["name"], int(i.get("type", 1))) for i in items]
        if len(set(keys)) != len(keys):
            return json_response(_invalid([], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate command name"), 400)
        with self.state.lock:
            previous = {(c["name"], c["type"]): c for c in self.state.commands.get(scope, [])}
            commands = [_build_command(self.state, i, scope, previous) for i in items]
            self.state.commands[scope] = commands
        return json_response(commands)

    async def post_command(self, request: web.Request) -> web.Response:
        scope, err = self._scope(request)
        if err is not None:
            return err
        item = request[BODY]
        invalid = _check_command(0, item)
        if invalid:
            return json_response(invalid, 400)
        with self.state.lock:
            existing = self.state.commands.get(scope, [])
            previous = {(c["name"], c["type"]): c for c in existing}
            command = _build_command(self.state, item, scope, previous)
            key = (command["name"], command["type"])
            self.state.commands[scope] = [c for c in existing if (c["name"], c["type"]) != key] + [command]
        return json_response(command, 200 if key in previous else 201)

    async def callback(self, request: web.Request) -> web.Response:
        iid, token = int(request.match_info["iid"]), request.match_info["itoken"]
        status, body = interactions.handle_callback(self.state, iid, token, request[BODY])
        message = (body or {}).get("resource", {}).get("message") if status == 200 else None
        if message is not None and body and body["resource"]["type"] in (4, 5):
            await self.server.echo_created(message)
        if status == 200 and request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response(body, status)

    async def execute(self, request: web.Request) -> web.Response:
        if self.server.channel_webhooks.owns(int(request.match_info["app"])):  # a channel webhook, not an interaction's
            return await self.server.channel_webhooks.execute(request)
        wait = request.query.get("wait", "").lower() in ("1", "true")
        app, token = int(request.match_info["app"]), request.match_info["token"]
        status, body = interactions.webhook_execute(self.state, app, token, request[BODY])
        if status == 200 and body is not None:
            await self.server.echo_created(body)
            if not wait:
                return web.Response(status=204)
        return json_response(body, status)

    async def webhook_message(self, request: web.Request) -> web.Response:
        if self.server.channel_webhooks.owns(int(request.match_info["app"])):
            return await self.server.channel_webhooks.webhook_message(request)
        app, token = int(request.match_info["app"]), request.match_info["token"]
        status, body = interactions.webhook_message(
            self.state, request.method, app, token, request.match_info["mid"], request[BODY]
        )
        return json_response(body, status)


def register(server: FakeServer) -> None:
    h = AppRoutes(server)
    for base in (r"/applications/{app:\d+}/commands", r"/applications/{app:\d+}/guilds/{gid:\d+}/commands"):
        server.route("GET", base, h.get_commands)
        server.route("PUT", base, h.put_commands)
        server.route("POST", base, h.post_command)
    server.route("POST", r"/interactions/{iid:\d+}/{itoken}/callback", h.callback)
    server.route("POST", r"/webhooks/{app:\d+}/{token}", h.execute)
    for method in ("GET", "PATCH", "DELETE"):
        server.route(method, r"/webhooks/{app:\d+}/{token}/messages/{mid}", h.webhook_message)
