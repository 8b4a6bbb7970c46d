"""Community signal and charts: per-story counts of reactions, replies and shares, and when a post was sent.

- ``signal_counts``: one row per (story, channel) the story was posted to (a channel a /news Share went to,
  too): reactions (adds minus removes) in total and by emoji (JSON), replies in its discussion thread or forum
  post, and Share clicks. Counts only: no user id, no message text. Kept ``signals.keep_days`` after the last
  change.
- ``deliveries.sent_at``: when Discord confirmed the post (the charts' "posted per hour"; NULL for older rows).
- ``digests.rank``: how a scheduled digest orders its stories: NULL (the story files' quality and heat, as before)
  or ``discussed`` (the community's signal first, with a "Most discussed" section).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("signal_counts"):
        op.create_table(
            "signal_counts",
            sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
            sa.Column("channel_id", sa.BigInteger(), nullable=False),
            sa.Column("reactions", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("emoji", sa.Text(), nullable=False, server_default="{}"),
            sa.Column("replies", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("shares", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("updated_at", sa.Float(), nullable=False),
            sa.Column("reconciled_at", sa.Float(), nullable=True),
            sa.PrimaryKeyConstraint("story_id", "channel_id"),
        )
        op.create_index("ix_signal_counts_updated", "signal_counts", ["updated_at"])
    if "sent_at" not in {c["name"] for c in inspector.get_columns("deliveries")}:
        op.add_column("deliveries", sa.Column("sent_at", sa.Float(), nullable=True))
        op.create_index("ix_deliveries_sent_at", "deliveries", ["sent_at"])
    if "rank" not in {c["name"] for c in inspector.get_columns("digests")}:
        op.add_column("digests", sa.Column("rank", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("digests", "rank")
    op.drop_index("ix_deliveries_sent_at", table_name="deliveries")
    op.drop_column("deliveries", "sent_at")
    op.drop_table("signal_counts")
