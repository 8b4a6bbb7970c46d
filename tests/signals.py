"""Putting the community's counts in a database directly, as the signal feature would (for tests of the reads)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from sqlalchemy import Engine, create_engine, delete

from bot.store.signal_tables import signal_counts


def put_counts(
    engine: Engine,
    story_id: int,
    channel_id: int,
    *,
    reactions: int = 0,
    replies: int = 0,
    shares: int = 0,
    emoji: Mapping[str, int] | None = None,
    at: float | None = None,
) -> None:
    """Set (replace) one story's counts in one channel."""
    c = signal_counts.c
    row = {
        "story_id": story_id,
        "channel_id": channel_id,
        "reactions": reactions,
        "emoji": json.dumps(dict(emoji or ({"👍": reactions} if reactions else {})), ensure_ascii=False),
        "replies": replies,
        "shares": shares,
        "updated_at": time.time() if at is None else at,
    }
    with engine.begin() as conn:
        conn.execute(delete(signal_counts).where(c.story_id == story_id, c.channel_id == channel_id))
        conn.execute(signal_counts.insert().values(**row))


def put_counts_in_file(
    path: str, story_id: int, channel_id: int, *, reactions: int = 0, replies: int = 0, shares: int = 0
) -> None:
    """The same on a running bot's SQLite file (end-to-end tests): a connection of its own, closed after."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        put_counts(engine, story_id, channel_id, reactions=reactions, replies=replies, shares=shares)
    finally:
        engine.dispose()
