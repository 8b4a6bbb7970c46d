"""NOTIFY, the sending half of the cluster's wake-up (bot/cluster/notify.py listens): payloads that name rows
(``story:channel``) or channels, cut under PostgreSQL's 8,000-byte limit, sent inside the planning transaction
(``notify_planned``, the store's ``on_planned`` hook) or in a transaction of their own (``ClusterStore.notify``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import Connection, text

CHANNEL = "newsdesk_deliveries"
MAX_PAYLOAD = 7900
KEYS_PER_BATCH = 200  # more rows than this in one planning transaction: notify their channels instead

Key = tuple[int, int]  # (story id, channel id)
NOTIFY = text("SELECT pg_notify(:c, :p)")


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


def notify_planned(conn: Connection, keys: list[Key], *, ours: Callable[[int], bool] | None = None) -> None:
    """NOTIFY, inside the planning transaction ``conn``, the rows it made pending; rows of channels this process
    sends to itself (``ours``) are left out: its own pipeline queues them."""
    wanted = [k for k in keys if ours is None or not ours(k[1])]
    for payload in key_payloads(wanted):
        conn.execute(NOTIFY, {"c": CHANNEL, "p": payload})
