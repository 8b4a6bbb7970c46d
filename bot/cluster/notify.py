"""LISTEN/NOTIFY: the ingest holder tells the others at once which rows (or channels) got new deliveries.

Planning sends its NOTIFY inside the planning transaction (``bot.store.notices.notify_planned``, the store's
``on_planned``): PostgreSQL delivers it the moment that transaction commits, with no transaction of its own. Its
payload names the rows, ``story:channel`` comma-separated, so a listener queues them without reading the ledger
first; a batch of more than ``KEYS_PER_BATCH`` rows (a catch-up scan) names only its channels, whose pending rows
the listener then looks up. Other senders (held stories released by the embargo timer) name channels. Each process
listens here on a dedicated autocommit connection (``notifies()`` holds it); a periodic claim in the pipeline is the
safety net for anything missed while that connection was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from bot.cluster.locks import KEEPALIVES
from bot.store.notices import CHANNEL, Key

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 2.0

OnNotice = Callable[[list[Key], list[int]], Awaitable[Any]]  # (rows, channels) named by one notification


def parse_notice(payload: str) -> tuple[list[Key], list[int]]:
    """The rows and the channels a payload names (anything malformed is skipped)."""
    keys: list[Key] = []
    channels: list[int] = []
    for item in payload.split(","):
        story, sep, channel = item.strip().partition(":")
        if sep and story.isdigit() and channel.isdigit():
            keys.append((int(story), int(channel)))
        elif not sep and story.isdigit():
            channels.append(int(story))
    return keys, channels


def parse(payload: str) -> list[int]:
    """Every channel a payload names, in order, once."""
    keys, channels = parse_notice(payload)
    return list(dict.fromkeys([c for _, c in keys] + channels))


async def listen(dsn: str, on_notice: OnNotice) -> None:
    """Call ``on_notice`` with each notification's rows and channels until cancelled; reconnects after a failure."""
    while True:
        conn: psycopg.AsyncConnection[Any] | None = None
        try:
            conn = await psycopg.AsyncConnection.connect(
                dsn, autocommit=True, connect_timeout=5, application_name="newsdesk-listen", **KEEPALIVES
            )
            await conn.execute(f"LISTEN {CHANNEL}")
            log.debug("Listening for new deliveries on %s", CHANNEL)
            async for note in conn.notifies():
                try:
                    await on_notice(*parse_notice(note.payload))
                except Exception:
                    log.exception("Could not queue the deliveries notified: %s", note.payload[:200])
        except psycopg.Error as exc:
            log.warning("Delivery notifications unavailable (%s); retrying in %.0f s", exc, RECONNECT_SECONDS)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        await asyncio.sleep(RECONNECT_SECONDS)
