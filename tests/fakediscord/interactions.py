"""INTERACTION_CREATE payloads, interaction callbacks and the interaction webhook (followups)."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from .limits import validate_message
from .store import FakeState, public
from .world import BOT_PERMISSIONS, MEMBER_PERMISSIONS, MemberSpec, channel_object, iso_now, user_object

log = logging.getLogger(__name__)

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 2, 3, 4
EPHEMERAL, LOADING = 1 << 6, 1 << 7
ALLOWED_CALLBACKS = {APPLICATION_COMMAND: {4, 5, 9}, MESSAGE_COMPONENT: {4, 5, 6, 7, 9}, AUTOCOMPLETE: {8}}
Result = tuple[int, dict[str, Any] | None]
UNKNOWN_INTERACTION: Result = (404, {"code": 10062, "message": "Unknown interaction"})
UNKNOWN_WEBHOOK: Result = (404, {"code": 10015, "message": "Unknown Webhook"})
UNKNOWN_MESSAGE: Result = (404, {"code": 10008, "message": "Unknown Message"})
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2  # an interaction's context
GUILD_INSTALL, USER_INSTALL = "0", "1"  # keys of authorizing_integration_owners
USER_INSTALL_TYPE = 1  # in a command's integration_types
# What an app may do in a DM (View Channel, Send Messages, Embed Links, Attach Files, Read Message History,
# Add Reactions, Use External Emojis): Discord computes the DM's own set, not a server role's.
DM_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 18)


def _option_list(options: dict[str, Any] | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if options is None:
        return []
    if isinstance(options, list):
        return [dict(o) for o in options]
    out = []
    for name, value in options.items():
        kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 10 if isinstance(value, float) else 3
        out.append({"name": name, "type": kind, "value": value})
    return out


def _synced(state: FakeState, guild_id: int | None, name: str) -> tuple[int | None, dict[str, Any]] | None:
    """The synced command of that name the member would see: the server's own first, then the global one (in
    DMs only global commands exist)."""
    for scope in (guild_id, None) if guild_id is not None else (None,):
        synced = next((c for c in state.commands.get(scope, []) if c["name"] == name), None)
        if synced is not None:
            return scope, synced
    return None


def _command_data(
    state: FakeState, guild_id: int | None, name: str, options: list[dict[str, Any]], command_type: int
) -> dict[str, Any]:
    """``data`` of an application command, using the id of a synced command when there is one."""
    data: dict[str, Any] = {"name": name, "type": command_type, "options": options}
    found = _synced(state, guild_id, name)
    if found is None:
        data["id"] = str(state.snowflakes.next())
        return data
    scope, synced = found
    data["id"] = synced["id"]
    if scope is not None:
        data["guild_id"] = str(scope)
    return data


def _check_offered(state: FakeState, guild_id: int | None, name: str, context: int, owners: dict[str, str]) -> None:
    """Discord sends an interaction only for a command offered there: its ``contexts`` must hold the context, and
    a user install's command must declare ``integration_types`` 1. A test asking for anything else is wrong."""
    found = _synced(state, guild_id, name)
    if found is None:
        return  # not synced in this test: nothing to hold it to
    command = found[1]
    contexts = command.get("contexts")
    if contexts is not None and context not in contexts:
        raise ValueError(f"/{name} is not offered in context {context} (its contexts: {contexts})")
    if USER_INSTALL in owners and USER_INSTALL_TYPE not in (command.get("integration_types") or [0]):
        raise ValueError(f"/{name} cannot be user-installed (integration_types {command.get('integration_types')})")


def _in_server(
    state: FakeState, channel_id: int, user_id: int, permissions: int | None, roles: list[int] | None
) -> dict[str, Any]:
    """The server half of an interaction: the guild, its channel and the invoking member."""
    found = state.channel(channel_id)
    if found is None:
        raise ValueError(f"unknown channel {channel_id}")
    guild, chan = found
    if guild.member(user_id) is None:
        guild.members.append(MemberSpec(id=user_id, username=f"user{user_id}", roles=list(roles or [])))
    member = state.member_obj(guild, user_id) or {}
    if roles is not None:
        member["roles"] = [str(r) for r in roles]
    member["permissions"] = str(MEMBER_PERMISSIONS if permissions is None else permissions)
    return {
        "guild_id": str(guild.id),
        "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
        "channel": channel_object(chan, guild.id),
        "channel_id": str(chan.id),
        "member": member,
        "app_permissions": str(BOT_PERMISSIONS),
        "guild_locale": "en-US",
    }


def _in_private(state: FakeState, context: int, channel_id: int, user_id: int) -> dict[str, Any]:
    """Outside any server, as Discord sends it: no ``guild_id`` and ``user`` instead of ``member``; the channel is
    the DM with the bot (context 1, type 1) or another DM or group DM (context 2; a group DM, type 3, here)."""
    user = user_object(user_id, f"user{user_id}")
    channel: dict[str, Any] = {"id": str(channel_id), "type": 1 if context == BOT_DM else 3, "flags": 0}
    channel["recipients"] = [user] if context == BOT_DM else [user, user_object(user_id + 1, f"user{user_id + 1}")]
    return {
        "channel": channel,
        "channel_id": str(channel_id),
        "user": user,
        "app_permissions": str(DM_PERMISSIONS),
    }


def build_interaction(
    state: FakeState,
    *,
    kind: int,
    channel_id: int,
    user_id: int,
    permissions: int | None,
    roles: list[int] | None,
    name: str | None,
    options: Any,
    subcommand: str | None,
    subcommand_group: str | None,
    focused: str | None,
    custom_id: str | None,
    component_type: int,
    values: list[str] | None,
    message_id: int | None,
    locale: str,
    resolved: dict[str, Any] | None,
    context: int = GUILD,
    user_install: bool = False,
) -> dict[str, Any]:
    """Build and register a complete INTERACTION_CREATE payload. ``context``: 0 a server channel, 1 the bot's
    DM, 2 another DM or group DM; ``user_install``: the command comes from the member's own install of the app
    (``authorizing_integration_owners {"1": user_id}``; always so in context 2)."""
    with state.lock:
        if context == GUILD:
            place = _in_server(state, channel_id, user_id, permissions, roles)
            guild_id: int | None = int(place["guild_id"])
            owners = {USER_INSTALL: str(user_id)} if user_install else {GUILD_INSTALL: place["guild_id"]}
        else:
            place = _in_private(state, context, channel_id, user_id)
            guild_id = None
            # The bot's DM through a server install is owned by "guild 0", as Discord reports it.
            mine = user_install or context == PRIVATE_CHANNEL
            owners = {USER_INSTALL: str(user_id)} if mine else {GUILD_INSTALL: "0"}
        iid, token = state.snowflakes.next(), f"itok-{secrets.token_urlsafe(24)}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(state.config.app_id),
            "type": kind,
            "token": token,
            "version": 1,
            **place,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": owners,
            "context": context,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if kind in (APPLICATION_COMMAND, AUTOCOMPLETE):
            opts = _option_list(options)
            if focused is not None:
                for opt in opts:
                    if opt["name"] == focused:
                        opt["focused"] = True
            if subcommand:
                opts = [{"name": subcommand, "type": 1, "options": opts}]
            if subcommand_group:
                opts = [{"name": subcommand_group, "type": 2, "options": opts}]
            _check_offered(state, guild_id, name or "ping", context, owners)
            payload["data"] = _command_data(state, guild_id, name or "ping", opts, 1)
            if resolved:
                payload["data"]["resolved"] = resolved
        elif kind == MESSAGE_COMPONENT:
            payload["data"] = {"custom_id": custom_id or "", "component_type": component_type}
            if values is not None:
                payload["data"]["values"] = list(values)
            record = state.get_message(message_id) if message_id else None
            payload["message"] = (
                public(record)
                if record
                else {
                    "id": str(message_id or state.snowflakes.next()),
                    "channel_id": place["channel_id"],
                    "author": state.bot_user(),
                    "content": "",
                    "timestamp": iso_now(),
                    "edited_timestamp": None,
                    "tts": False,
                    "mention_everyone": False,
                    "mentions": [],
                    "mention_roles": [],
                    "attachments": [],
                    "embeds": [],
                    "components": [],
                    "pinned": False,
                    "type": 0,
                    "flags": 0,
                }
            )
        else:
            raise ValueError(f"unsupported interaction type {kind}")
        register_interaction(state, payload)
        return payload


def register_interaction(state: FakeState, payload: dict[str, Any]) -> None:
    """Remember an interaction so that its callback and webhook calls can be checked."""
    with state.lock:
        iid = int(payload["id"])
        message = payload.get("message")
        state.interactions[iid] = {
            "id": iid,
            "token": payload["token"],
            "type": int(payload["type"]),
            "channel_id": int(payload.get("channel_id") or payload.get("channel", {}).get("id") or 0),
            "message_id": int(message["id"]) if message else None,
            "user": (payload.get("member") or {}).get("user") or payload.get("user"),
            "owners": dict(payload.get("authorizing_integration_owners") or {}),
            "created": time.monotonic(),
            "acked": False,
            "original": None,
        }
        state.tokens[payload["token"]] = iid


def _response_message(state: FakeState, inter: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    app_id = str(state.config.app_id)
    metadata = {
        "id": str(inter["id"]),
        "type": inter["type"],
        "user": inter["user"] or state.bot_user(),
        "authorizing_integration_owners": inter.get("owners") or {GUILD_INSTALL: "0"},
    }
    extra = {
        "type": 20 if inter["type"] == APPLICATION_COMMAND else 0,
        "webhook_id": app_id,
        "application_id": app_id,
        "interaction_metadata": metadata,
    }
    return state.build_message(inter["channel_id"], data, source="interaction", extra=extra)


def handle_callback(state: FakeState, iid: int, token: str, body: Any) -> Result:
    """``POST /interactions/{id}/{token}/callback``; records every attempt in ``state.rec.callbacks``."""
    with state.lock:
        body = body if isinstance(body, dict) else {}
        cb_type, data = body.get("type"), body.get("data") or {}
        entry = {"interaction_id": iid, "token": token, "type": cb_type, "data": data, "time": time.time()}
        state.rec.callbacks.append(entry)
        status, result = _callback(state, iid, token, cb_type, data)
        entry["status"] = status
        return status, result


def _callback(state: FakeState, iid: int, token: str, cb_type: Any, data: dict[str, Any]) -> Result:
    inter = state.interactions.get(iid)
    if inter is None or inter["token"] != token:
        return UNKNOWN_INTERACTION
    timeout = state.config.interaction_timeout
    if not inter["acked"] and timeout is not None and time.monotonic() - inter["created"] > timeout:
        return UNKNOWN_INTERACTION
    if inter["acked"]:
        return 400, {"code": 40060, "message": "Interaction has already been acknowledged."}
    if cb_type not in ALLOWED_CALLBACKS.get(inter["type"], set()):
        return 400, {
            "code": 50035,
            "message": "Invalid Form Body",
            "errors": {
                "type": {
                    "_errors": [
                        {"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": "Invalid interaction response type"}
                    ]
                }
            },
        }
    if cb_type in (4, 7):
        error = validate_message(data, partial=cb_type == 7)
        if error:
            return error
    if cb_type == 8 and len(data.get("choices") or []) > 25:
        return 400, {
            "code": 50035,
            "message": "Invalid Form Body",
            "errors": {
                "data": {
                    "choices": {
                        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}]
                    }
                }
            },
        }
    message: dict[str, Any] | None = None
    if cb_type == 4:
        message = _response_message(state, inter, data)
    elif cb_type == 5:
        flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
        message = _response_message(state, inter, {"content": "", "flags": flags})
    elif cb_type == 7 and inter["message_id"]:
        message = state.edit_message(inter["message_id"], data)
    inter["acked"] = True
    if message is not None and cb_type in (4, 5):
        inter["original"] = int(message["id"])
    elif cb_type in (6, 7) and inter["message_id"]:
        # For a component, the "original" message is the one the button is on, as on Discord.
        inter["original"] = inter["message_id"]
    resource: dict[str, Any] = {"type": cb_type}
    if message is not None:
        resource["message"] = public(message)
    flags = int(message["flags"]) if message else 0
    return 200, {
        "interaction": {
            "id": str(iid),
            "type": inter["type"],
            "activity_instance_id": None,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": cb_type == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        },
        "resource": resource,
    }


def _webhook_interaction(state: FakeState, app_id: int, token: str) -> dict[str, Any] | None:
    iid = state.tokens.get(token)
    if app_id != state.config.app_id or iid is None or not state.interactions[iid]["acked"]:
        return None
    return state.interactions[iid]


def webhook_execute(state: FakeState, app_id: int, token: str, body: Any) -> Result:
    """``POST /webhooks/{app}/{token}``: an interaction followup message."""
    with state.lock:
        inter = _webhook_interaction(state, app_id, token)
        if inter is None:
            return UNKNOWN_WEBHOOK
        error = validate_message(body)
        if error:
            return error
        data = dict(body)
        data["flags"] = int(data.get("flags") or 0) & (EPHEMERAL | 4 | 4096 | 32768)
        record = state.build_message(
            inter["channel_id"],
            data,
            source="webhook",
            extra={"webhook_id": str(app_id), "application_id": str(app_id)},
        )
        return 200, public(record)


def webhook_message(state: FakeState, method: str, app_id: int, token: str, mid: str, body: Any) -> Result:
    """``GET/PATCH/DELETE /webhooks/{app}/{token}/messages/{mid|@original}``."""
    with state.lock:
        inter = _webhook_interaction(state, app_id, token)
        if inter is None:
            return UNKNOWN_WEBHOOK
        message_id = inter["original"] if mid == "@original" else int(mid) if mid.isdigit() else None
        if message_id is None or state.get_message(message_id) is None:
            return UNKNOWN_MESSAGE
        if method == "GET":
            return 200, public(state.get_message(message_id) or {})
        if method == "DELETE":
            state.delete_message(message_id)
            return 204, None
        error = validate_message(body, partial=True)
        if error:
            return error
        return 200, public(state.edit_message(message_id, body) or {})
