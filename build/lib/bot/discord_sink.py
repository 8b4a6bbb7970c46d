"""The Discord side of the feed: posts, edits and deletions through discord.py's HTTP client, and the
channel checks, each fault classified so callers can wait, retry or give up."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route

from bot.channel_check import ChannelVerdict, judge, missing_channel
from bot.sinks import DeliveryError


class DiscordSink:
    """Sends ledger actions through discord.py's HTTP client, which honours rate-limit headers and retries
    5xx itself; what still fails is classified for the send queue as retryable or not."""

    def __init__(self, http: HTTPClient, *, timeout: float) -> None:
        self._http = http
        self._timeout = timeout

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._call(route, json={**payload, "nonce": nonce, "enforce_nonce": True})
        return int(data["id"])

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

    async def check_channel(self, channel_id: int, bot_id: int) -> ChannelVerdict:
        """Whether the bot can post story embeds in the channel: it exists, is visible, and the bot has Send
        Messages and Embed Links there. Raises ``DeliveryError`` when Discord could not say (outage)."""
        try:
            channel = await self._call(Route("GET", "/channels/{channel_id}", channel_id=channel_id))
        except DeliveryError as exc:
            if exc.status in (403, 404):
                return missing_channel(exc.status)
            raise
        guild_id = channel.get("guild_id")
        if guild_id is None:
            return ChannelVerdict.good()  # a DM or group channel: no server permissions apply
        roles = await self._call(Route("GET", "/guilds/{guild_id}/roles", guild_id=guild_id))
        member = await self._call(
            Route("GET", "/guilds/{guild_id}/members/{user_id}", guild_id=guild_id, user_id=bot_id)
        )
        return judge(channel, roles, member)

    async def _call(self, route: Route, **kwargs: Any) -> Any:
        try:
            return await asyncio.wait_for(self._http.request(route, **kwargs), timeout=self._timeout)
        except discord.Forbidden as exc:
            raise DeliveryError(f"missing permissions: {exc.text}", retryable=False, status=403) from None
        except discord.NotFound as exc:
            raise DeliveryError(f"not found: {exc.text}", retryable=False, status=404, gone=True) from None
        except discord.HTTPException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            raise DeliveryError(
                f"Discord answered {exc.status}: {exc.text}", retryable=retryable, status=exc.status
            ) from None
        except TimeoutError:
            raise DeliveryError(f"no answer within {self._timeout:.0f}s", retryable=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"connection problem: {exc}", retryable=True) from None
