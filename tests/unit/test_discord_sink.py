"""How the Discord sink classifies what Discord (or the network) answers, and how it checks a channel.

The HTTP client stands in for discord.py's: it raises the exceptions discord.py raises for each answer."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from bot.send.discord_sink import DiscordSink
from bot.send.errors import DeliveryError
from bot.send.gate import EMBED_LINKS, SEND_MESSAGES, VIEW_CHANNEL

GUILD, BOT, CHANNEL = 10, 20, 30


def answer(status: int, text: str = "") -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason=text)
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    if status >= 500:
        kind = discord.DiscordServerError
    return kind(response, {"code": 0, "message": text})


class Http:
    """Answers by path: a value is returned, an exception raised, ``None`` never answers."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    async def request(self, route: Route, **kwargs: Any) -> Any:
        value = self.answers[route.url]
        if value is None:
            await asyncio.sleep(3600)
        if isinstance(value, BaseException):
            raise value
        return value


def url(path: str) -> str:
    return Route.BASE + path


async def post_fails_with(error: BaseException | None, sink_timeout: float = 5.0) -> DeliveryError:
    sink = DiscordSink(Http({url(f"/channels/{CHANNEL}/messages"): error}), timeout=sink_timeout)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as caught:
        await sink.post(CHANNEL, {"content": "x"}, nonce="n")
    return caught.value


async def test_forbidden_is_final_and_names_discords_reason() -> None:
    error = await post_fails_with(answer(403, "Missing Permissions"))
    assert (error.retryable, error.status, error.gone) == (False, 403, False)
    assert "Missing Permissions" in error.reason


async def test_not_found_is_final_and_gone() -> None:
    error = await post_fails_with(answer(404, "Unknown Channel"))
    assert (error.retryable, error.status, error.gone) == (False, 404, True)


async def test_rate_limit_and_server_errors_are_retried_bad_requests_are_not() -> None:
    assert (await post_fails_with(answer(429, "You are being rate limited"))).retryable
    assert (await post_fails_with(answer(503, "Service Unavailable"))).retryable
    bad = await post_fails_with(answer(400, "Invalid Form Body"))
    assert (bad.retryable, bad.status) == (False, 400)


async def test_silence_and_connection_errors_are_retried() -> None:
    silent = await post_fails_with(None, sink_timeout=0.05)
    assert silent.retryable and "no answer" in silent.reason
    refused = await post_fails_with(ConnectionRefusedError(111, "Connection refused"))
    assert refused.retryable and "connection problem" in refused.reason
    broken = await post_fails_with(aiohttp.ServerDisconnectedError())
    assert broken.retryable


async def test_post_returns_the_message_id() -> None:
    sink = DiscordSink(Http({url(f"/channels/{CHANNEL}/messages"): {"id": "123"}}), timeout=5)  # type: ignore[arg-type]
    assert await sink.post(CHANNEL, {"content": "x"}, nonce="n") == 123


def world(channel: Any, *, everyone: int = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS) -> DiscordSink:
    http = Http(
        {
            url(f"/channels/{CHANNEL}"): channel,
            url(f"/guilds/{GUILD}/roles"): [{"id": str(GUILD), "permissions": str(everyone)}],
            url(f"/guilds/{GUILD}/members/{BOT}"): {"user": {"id": str(BOT)}, "roles": []},
        }
    )
    return DiscordSink(http, timeout=5)  # type: ignore[arg-type]


def text_channel(**extra: Any) -> dict[str, Any]:
    return {"id": str(CHANNEL), "type": 0, "guild_id": str(GUILD), "permission_overwrites": [], **extra}


async def test_check_channel_ok_missing_invisible_and_without_permission() -> None:
    assert (await world(text_channel()).check_channel(CHANNEL, BOT)).ok
    missing = await world(answer(404, "Unknown Channel")).check_channel(CHANNEL, BOT)
    assert not missing.ok and "does not exist" in missing.problem
    hidden = await world(answer(403, "Missing Access")).check_channel(CHANNEL, BOT)
    assert not hidden.ok and "not visible" in hidden.problem
    mute = await world(text_channel(), everyone=VIEW_CHANNEL | EMBED_LINKS).check_channel(CHANNEL, BOT)
    assert not mute.ok and "Send Messages" in mute.problem


async def test_check_channel_raises_when_discord_cannot_say() -> None:
    with pytest.raises(DeliveryError) as caught:
        await world(answer(502, "Bad Gateway")).check_channel(CHANNEL, BOT)
    assert caught.value.retryable
