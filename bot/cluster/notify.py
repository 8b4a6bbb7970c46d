"""LISTEN/NOTIFY: the ingest holder tells the others at once which rows (or channels) got new deliveries.

Planning sends its NOTIFY inside the planning transaction (``notify_planned``, hooked in as ``Store.on_planned``):
PostgreSQL delivers it the moment that transaction commits, with no transaction of its own. Its payload names the
rows, ``story:channel`` comma-separated, so a listener queues them without reading the ledger first; a batch of
more than ``KEYS_PER_BATCH`` rows (a catch-up scan) names only its channels, whose pending rows the listener then
looks up. Other senders (held stories released by the embargo timer) name channels. Payloads are cut under
PostgreSQL's 8,000-byte limit. Each process listens on a dedicated autocommit connection (``notifies()`` holds
it); a periodic claim in the pipeline is the safety net for anything missed while that connection was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text

from bot.cluster.locks import KEEPALIVES

log = logging.getLogger(__name__)

CHANNEL = "newsdesk_deliveries"
MAX_PAYLOAD = 7900
KEYS_PER_BATCH = 200  # more rows than this in one planning transaction: notify their channels instead
RECONNECT_SECONDS = 2.0

Key = tuple[int, int]  # (story id, channel id)
OnNotice = Callable[[list[Key], list[int]], Awaitable[Any]]  # (rows, channels) named by one notification


def _pack(items: Iterable[str]) -> Iterator[str]:
    part = ""
    for item in items:
        if part and len(part) + 1 + len(item) > MAX_PAYLOAD:
            yield part
            part = ""
        part = f"{part},{item}" if part else item
    if part:
        yield part


def payloads(channel_ids: Iterable[int]) -> Iterator[str]:
    """Channel ids as comma-separated payloads, each under the limit."""
    return _pack(str(cid) for cid in sorted(set(channel_ids)))


def key_payloads(keys: Iterable[Key]) -> Iterator[str]:
    """Rows as ``story:channel`` payloads; past ``KEYS_PER_BATCH`` rows, their channels instead."""
    unique = sorted(set(keys))
    if len(unique) > KEYS_PER_BATCH:
        return payloads(channel for _, channel in unique)
    return _pack(f"{story}:{channel}" for story, channel in unique)


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


def notify_planned(conn: Connection, keys: list[Key], *, ours: Callable[[int], bool] | None = None) -> None:
    """NOTIFY, inside the planning transaction ``conn``, the rows it made pending; rows of channels this process
    sends to itself (``ours``) are left out: its own pipeline queues them."""
    wanted = [k for k in keys if ours is None or not ours(k[1])]
    for payload in key_payloads(wanted):
        conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})


def notify(engine: Engine, channel_ids: Iterable[int]) -> None:
    """NOTIFY the listeners about channels, in a transaction of its own (blocking: run it on a store thread)."""
    with engine.begin() as conn:
        for payload in payloads(channel_ids):
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})


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
