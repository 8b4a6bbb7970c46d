"""LISTEN/NOTIFY: the ingest holder tells the others at once which channels got new deliveries.

The payload is the channel ids, comma-separated, cut into pieces under PostgreSQL's 8,000-byte limit. Sent after
the planning transaction committed (a NOTIFY is delivered only on commit anyway). Each process listens on a
dedicated autocommit connection (``notifies()`` holds it); a periodic claim in the pipeline is the safety net for
anything missed while that connection was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import psycopg
from sqlalchemy import Engine, text

from bot.cluster.locks import KEEPALIVES

log = logging.getLogger(__name__)

CHANNEL = "newsdesk_deliveries"
MAX_PAYLOAD = 7900
RECONNECT_SECONDS = 2.0


def payloads(channel_ids: Iterable[int]) -> Iterator[str]:
    """Channel ids as comma-separated payloads, each under the limit."""
    part = ""
    for cid in sorted(set(channel_ids)):
        item = str(cid)
        if part and len(part) + 1 + len(item) > MAX_PAYLOAD:
            yield part
            part = ""
        part = f"{part},{item}" if part else item
    if part:
        yield part


def parse(payload: str) -> list[int]:
    return [int(p) for p in payload.split(",") if p.strip().isdigit()]


def notify(engine: Engine, channel_ids: Iterable[int]) -> None:
    """NOTIFY the listeners (blocking: run it on the store's thread)."""
    with engine.begin() as conn:
        for payload in payloads(channel_ids):
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})


async def listen(dsn: str, on_channels: Callable[[list[int]], Awaitable[Any]]) -> None:
    """Call ``on_channels`` with each notification's channel ids until cancelled; reconnects after a failure."""
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
                    await on_channels(parse(note.payload))
                except Exception:
                    log.exception("Could not queue the deliveries notified for channels %s", note.payload)
        except psycopg.Error as exc:
            log.warning("Delivery notifications unavailable (%s); retrying in %.0f s", exc, RECONNECT_SECONDS)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        await asyncio.sleep(RECONNECT_SECONDS)
