from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route

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
