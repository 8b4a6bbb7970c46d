"""The Discord side of the feed: posts, edits and deletions through discord.py's HTTP client, and the
channel checks, each fault classified so callers can wait, retry or give up."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.http import HTTPClient, Route

from bot.cluster.fairshare import TokenBucket, prepaid
from bot.send.errors import DeliveryError
from bot.send.gate import ChannelVerdict, judge, missing_channel, permissions_in
from bot.send.kinds.payloads import ChannelInfo

if TYPE_CHECKING:
    from bot.metrics import Metrics

Webhook = tuple[int, str]  # (id, token); the token is a secret: never log it
ALREADY_CROSSPOSTED = 40033


class DiscordSink:
    """Sends ledger actions through discord.py's HTTP client, which honours rate-limit headers and retries
    5xx itself; what still fails is classified for the send queue as retryable or not.

    The channel check also remembers what it learned about each channel (its kind, a forum's tags, the bot's
    permissions) for ``bot/send/kinds/deliverer.py``."""

    def __init__(
        self, http: HTTPClient, *, timeout: float, bucket: TokenBucket | None = None, metrics: Metrics | None = None
    ) -> None:
        self._http = http
        self._metrics = metrics  # None: metrics are off
        # This process's share of the bot's global limit, when it runs in a cluster (bot/cluster/fairshare.py).
        self._bucket = bucket
        self._timeout = timeout
        self._channels: dict[int, ChannelInfo] = {}

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._call(route, json={**payload, "nonce": nonce, "enforce_nonce": True})
        return int(data["id"])

    async def open_dm(self, user_id: int) -> int:
        """The member's DM channel (``POST /users/@me/channels``; Discord answers the same one every time)."""
        data = await self._call(Route("POST", "/users/@me/channels"), json={"recipient_id": str(user_id)}, low=True)
        return int(data["id"])

    async def post_dm(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        """A message in a member's DM channel, on low-priority tokens: channel posts go first."""
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._call(route, json={**payload, "nonce": nonce, "enforce_nonce": True}, low=True)
        return int(data["id"])

    async def recent_messages(self, channel_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """The channel's newest messages, newest first (to adopt a post whose sender died before recording it)."""
        route = Route("GET", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._call(route, params={"limit": limit})
        return list(data or [])

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=message_id,
        )
        await self._call(route, json=payload)

    async def delete(self, channel_id: int, message_id: int) -> None:
        route = Route(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=message_id,
        )
        await self._call(route)

    async def send_alert(self, channel_id: int, payload: dict[str, Any]) -> None:
        """An alert is one-off: a fresh nonce, so two alerts with the same text are both posted."""
        await self.post(channel_id, payload, nonce=secrets.token_hex(12))

    # -- channel kinds ------------------------------------------------------------------------------------

    def channel_info(self, channel_id: int) -> ChannelInfo | None:
        """What the last check of the channel learned (None before its first check)."""
        return self._channels.get(channel_id)

    def remember(self, channel_id: int, info: ChannelInfo) -> None:
        self._channels[channel_id] = info

    async def get_channel(self, channel_id: int) -> dict[str, Any]:
        return await self._call(Route("GET", "/channels/{channel_id}", channel_id=channel_id))

    async def create_forum_post(self, forum_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """A forum post; the returned thread's id is also its starter message's id."""
        route = Route("POST", "/channels/{channel_id}/threads", channel_id=forum_id)
        return await self._call(route, json=body)

    async def edit_channel(self, channel_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Rename a thread, change a post's tags, or a forum's ``available_tags``."""
        return await self._call(Route("PATCH", "/channels/{channel_id}", channel_id=channel_id), json=fields)

    async def delete_channel(self, channel_id: int) -> None:
        await self._call(Route("DELETE", "/channels/{channel_id}", channel_id=channel_id))

    async def start_thread(self, channel_id: int, message_id: int, name: str, archive: int) -> int:
        """A thread under a message; its id equals the message's. Already there (160004, after a crash or a
        retry): the same thread, so starting it again is safe."""
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            channel_id=channel_id,
            message_id=message_id,
        )
        try:
            data = await self._call(route, json={"name": name, "auto_archive_duration": archive})
        except DeliveryError as exc:
            if exc.code == 160004:
                return message_id
            raise
        return int(data["id"])

    async def crosspost(self, channel_id: int, message_id: int) -> None:
        """Already crossposted (40033, after a crash or a lost answer) counts as done."""
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/crosspost",
            channel_id=channel_id,
            message_id=message_id,
        )
        try:
            await self._call(route)
        except DeliveryError as exc:
            if exc.code != ALREADY_CROSSPOSTED:
                raise

    async def get_message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        route = Route(
            "GET",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=message_id,
        )
        return await self._call(route)

    async def active_threads(self, guild_id: int) -> list[dict[str, Any]]:
        """The guild's unarchived threads (forum posts included), to find a post whose answer was lost."""
        data = await self._call(Route("GET", "/guilds/{guild_id}/threads/active", guild_id=guild_id))
        return list((data or {}).get("threads") or [])

    async def archived_threads(self, channel_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """A channel's (forum's) newest archived public threads."""
        route = Route("GET", "/channels/{channel_id}/threads/archived/public", channel_id=channel_id)
        data = await self._call(route, params={"limit": limit})
        return list((data or {}).get("threads") or [])

    async def webhooks(self, channel_id: int) -> list[dict[str, Any]]:
        return await self._call(Route("GET", "/channels/{channel_id}/webhooks", channel_id=channel_id))

    async def create_webhook(self, channel_id: int, name: str) -> dict[str, Any]:
        route = Route("POST", "/channels/{channel_id}/webhooks", channel_id=channel_id)
        return await self._call(route, json={"name": name})

    async def execute_webhook(
        self, hook: Webhook, payload: dict[str, Any], *, thread_id: int | None = None
    ) -> dict[str, Any]:
        """``wait=true``: without it Discord answers 204 and the message id is never known."""
        route = Route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=hook[0], webhook_token=hook[1])
        params = {**_thread_params(thread_id, wait=True), **WITH_COMPONENTS}
        return await self._call(route, json=payload, params=params)

    async def edit_webhook_message(
        self, hook: Webhook, message_id: int, payload: dict[str, Any], *, thread_id: int | None = None
    ) -> None:
        """A message inside a thread needs ``thread_id``, or Discord answers 10008 Unknown Message."""
        params = {**_thread_params(thread_id), **WITH_COMPONENTS}
        await self._call(_webhook_message("PATCH", hook, message_id), json=payload, params=params)

    async def delete_webhook_message(self, hook: Webhook, message_id: int, *, thread_id: int | None = None) -> None:
        await self._call(_webhook_message("DELETE", hook, message_id), params=_thread_params(thread_id))

    # -- checks -------------------------------------------------------------------------------------------

    async def check_channel(self, channel_id: int, bot_id: int) -> ChannelVerdict:
        """Whether the bot can post story embeds in the channel: it exists, is visible, and the bot has Send
        Messages and Embed Links there. Raises ``DeliveryError`` when Discord could not say (outage)."""
        try:
            channel = await self.get_channel(channel_id)
        except DeliveryError as exc:
            if exc.status in (403, 404):
                return missing_channel(exc.status)
            raise
        guild_id = channel.get("guild_id")
        if guild_id is None:
            self.remember(channel_id, ChannelInfo.from_channel(channel, -1))
            return ChannelVerdict.good()  # a DM or group channel: no server permissions apply
        roles = await self._call(Route("GET", "/guilds/{guild_id}/roles", guild_id=guild_id))
        member = await self._call(
            Route("GET", "/guilds/{guild_id}/members/{user_id}", guild_id=guild_id, user_id=bot_id)
        )
        self.remember(channel_id, ChannelInfo.from_channel(channel, permissions_in(channel, roles, member)))
        return dataclasses.replace(judge(channel, roles, member), guild_id=int(guild_id))

    async def _call(self, route: Route, *, low: bool = False, **kwargs: Any) -> Any:
        try:
            return await self._classified(route, low=low, **kwargs)
        except DeliveryError as exc:
            if self._metrics is not None:
                self._metrics.on_discord_status(exc.status)
            raise

    async def _classified(self, route: Route, *, low: bool, **kwargs: Any) -> Any:
        paid: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if self._bucket is not None:
            # Waited for here, outside the time-out; the session's pacing (pace_session) then lets the call through.
            await (self._bucket.acquire_low() if low else self._bucket.acquire())
            paid = prepaid()
        try:
            with paid:
                return await asyncio.wait_for(self._http.request(route, **kwargs), timeout=self._timeout)
        except discord.Forbidden as exc:
            raise DeliveryError(
                f"missing permissions: {exc.text}", retryable=False, status=403, code=exc.code
            ) from None
        except discord.NotFound as exc:
            raise DeliveryError(
                f"not found: {exc.text}", retryable=False, status=404, gone=True, code=exc.code
            ) from None
        except discord.HTTPException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            raise DeliveryError(
                f"Discord answered {exc.status}: {exc.text}", retryable=retryable, status=exc.status, code=exc.code
            ) from None
        except discord.RateLimited as exc:
            # The client is built with max_ratelimit_timeout: a long limit (the crosspost limit: minutes) ends
            # here instead of holding the caller for its whole length.
            raise DeliveryError(
                f"rate limited by Discord for {exc.retry_after:.0f}s", retryable=True, status=429
            ) from None
        except TimeoutError:
            raise DeliveryError(f"no answer within {self._timeout:.0f}s", retryable=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"connection problem: {exc}", retryable=True) from None


def _webhook_message(method: str, hook: Webhook, message_id: int) -> Route:
    return Route(
        method,
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        webhook_id=hook[0],
        webhook_token=hook[1],
        message_id=message_id,
    )


# Without it Discord drops a webhook message's components; with it the bot's own (application-owned) webhooks may
# carry the Follow button as well as link buttons.
WITH_COMPONENTS = {"with_components": "true"}


def _thread_params(thread_id: int | None, *, wait: bool = False) -> dict[str, str]:
    params = {"wait": "true"} if wait else {}
    if thread_id is not None:
        params["thread_id"] = str(thread_id)
    return params
