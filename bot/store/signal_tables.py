"""Tables for the community's signal (migration 0013): counts per posted story and channel, never who or what.

``deliveries.sent_at`` (the same migration) is in ``bot/store/schema.py`` with the rest of the ledger."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, Table, Text

from bot.store.schema import metadata

signal_counts = Table(
    "signal_counts",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("reactions", Integer, nullable=False, default=0),  # adds minus removes, all emoji
    Column("emoji", Text, nullable=False, default="{}"),  # JSON {"👍": 3, "custom_name:123": 1}
    Column("replies", Integer, nullable=False, default=0),  # messages in its discussion thread or forum post
    Column("shares", Integer, nullable=False, default=0),  # Share clicks on /news results
    Column("updated_at", Float, nullable=False),
    Column("reconciled_at", Float, nullable=True),  # last set from Discord's own counts (after a gap)
    PrimaryKeyConstraint("story_id", "channel_id"),
    Index("ix_signal_counts_updated", "updated_at"),
)
