"""REST routes for channel webhooks, as Discord serves them (see ../shared/DISCORD_FACTS.md, "Channel kinds"):
list and create a channel's webhooks, execute one (``wait=true``, forum posts by ``thread_name``), and edit or
delete its messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .limits import validate_message
from .responses import BODY, json_response
from .routes_kinds import (
    FORUM_NEEDS_THREAD,
    FORUM_TYPES,
    MANAGE_WEBHOOKS,
    MISSING_PERMISSIONS,
    THREAD_ID_AND_NAME,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    KindRoutes,
    _err,
    _invalid,
)
from .store import public
from .world import user_object

if TYPE_CHECKING:
    from .server import FakeServer

UNKNOWN_WEBHOOK = (404, 10015, "Unknown Webhook")
INVALID_WEBHOOK_TOKEN = (401, 50027, "Invalid Webhook Token")
TOO_MANY_WEBHOOKS = (400, 30007, "Maximum number of webhooks reached (15)")
WEBHOOKS_PER_CHANNEL = 15


def _valid_username(name: object) -> bool:
    """Discord's naming rules for users, plus webhooks' own: no "clyde" or "discord" in any case."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 80 or name.strip().lower() in ("everyone", "here"):
        return False
    return not any(bad in name.lower() for bad in ("@", "#", ":", "```", "clyde", "discord"))


def _respecting_components(request: web.Request, message: dict[str, Any]) -> dict[str, Any]:
    """As Discord: a webhook message's ``components`` count only with ``?with_components=true`` (then the
    application-owned webhooks the bot creates may use interactive ones too); without it they are dropped."""
    if request.query.get("with_components", "").lower() in ("1", "true"):
        return message
    return {k: v for k, v in message.items() if k != "components"}


class WebhookRoutes(KindRoutes):
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
            if username is not None and not _valid_username(username):
                return _invalid("username", "Must be 1 to 80 characters, a valid username.")
            thread_name = body.get("thread_name")
            if thread_param and thread_name:
                return _err(THREAD_ID_AND_NAME)
            if channel.type in FORUM_TYPES and not (thread_param or thread_name):
                return _err(FORUM_NEEDS_THREAD)
            message = {
                k: v for k, v in body.items() if k not in ("username", "avatar_url", "thread_name", "applied_tags")
            }
            message = _respecting_components(request, message)
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
        body = _respecting_components(request, request[BODY] if isinstance(request[BODY], dict) else {})
        invalid = validate_message(body, partial=True)
        if invalid:
            return json_response(invalid[1], invalid[0])
        edited = state.edit_message(mid, body)
        return json_response(public(edited)) if edited else _err(UNKNOWN_MESSAGE)


def register(server: FakeServer) -> WebhookRoutes:
    h = WebhookRoutes(server)
    server.route("GET", r"/channels/{cid:\d+}/webhooks", h.list_webhooks)
    server.route("POST", r"/channels/{cid:\d+}/webhooks", h.create_webhook)
    return h
