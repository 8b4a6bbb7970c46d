"""Discord faults become one readable line: refused, silent or failing connections, and gateway outages."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from types import SimpleNamespace

import aiohttp
import discord
import pytest

from bot.newsbot import DiscordUnreachable, GatewayOutages, connection_problem, reach

WHERE = "http://127.0.0.1:9/api/v10"


async def fail(exc: BaseException) -> None:
    raise exc


async def test_refused_connection() -> None:
    with pytest.raises(DiscordUnreachable, match=f"cannot reach Discord at {WHERE}: connection refused$"):
        await reach(fail(ConnectionRefusedError(111, "Connect call failed")), where=WHERE, timeout=5)


async def test_aiohttp_wraps_the_refusal() -> None:
    key = SimpleNamespace(host="127.0.0.1", port=9, ssl=False)
    error = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connect call failed"))  # type: ignore[arg-type]
    assert connection_problem(error) == "connection refused"
    assert connection_problem(socket.gaierror(-2, "Name or service not known")) == "host name not found"


async def test_silence_times_out() -> None:
    with pytest.raises(DiscordUnreachable, match=r"no answer within 0.05s \(discord.request_timeout\)"):
        await reach(asyncio.sleep(3600), where=WHERE, timeout=0.05)


async def test_server_errors_after_discord_py_retries() -> None:
    response = SimpleNamespace(status=503, reason="Service Unavailable")
    error = discord.DiscordServerError(response, "upstream down")
    with pytest.raises(DiscordUnreachable, match="keeps failing: HTTP 503"):
        await reach(fail(error), where=WHERE, timeout=5)


async def test_a_refused_token_is_not_an_outage() -> None:
    with pytest.raises(discord.LoginFailure):
        await reach(fail(discord.LoginFailure("Improper token")), where=WHERE, timeout=5)


def test_a_gateway_reconnect_is_one_warning_line_without_traceback() -> None:
    outages = GatewayOutages()
    try:
        raise ConnectionRefusedError(111, "Connect call failed")
    except ConnectionRefusedError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "discord.client", logging.ERROR, __file__, 1, "Attempting a reconnect in %.2fs", (1.5,), exc_info
    )
    assert outages.filter(record)
    assert record.exc_info is None and record.levelno == logging.WARNING
    assert (
        record.getMessage() == "Discord gateway connection lost (connection refused); attempting a reconnect in 1.50s"
    )
    assert outages.last_error == "connection refused"
