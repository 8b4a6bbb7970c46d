"""Personal news: members' follows and settings, and the DM ledger.

- ``follows``: what a member follows (a topic, a provider, or words) and how (instant DMs or the digest). Only the
  member's id is stored, never a name; ``guild_id`` is the server the follow was made in (None in DMs), so a
  server that turns following off stops the follows made there.
- ``member_settings``: a member's daily cap, digest time and days, time zone, quiet hours, pause, the DM channel
  Discord opened for them, and when their personal digest last ran.
- ``dm_deliveries``: one row per (story, member), the DM ledger; claimed and settled like ``deliveries``.
- ``personal_guilds``: servers whose admins turned following off (or on again) with /newsdesk personal.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("follows"):
        op.create_table(
            "follows",
            sa.Column("user_id", sa.BigInteger(), nullable=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("norm", sa.Text(), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.Column("mode", sa.String(), nullable=False),
            sa.Column("guild_id", sa.BigInteger(), nullable=True),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("user_id", "kind", "norm"),
        )
        op.create_index("ix_follows_kind_norm", "follows", ["kind", "norm"])
    if not inspector.has_table("member_settings"):
        op.create_table(
            "member_settings",
            sa.Column("user_id", sa.BigInteger(), primary_key=True),
            sa.Column("daily_cap", sa.Integer(), nullable=True),
            sa.Column("digest_time", sa.String(), nullable=True),
            sa.Column("digest_days", sa.String(), nullable=True),
            sa.Column("timezone", sa.String(), nullable=True),
            sa.Column("quiet_start", sa.String(), nullable=True),
            sa.Column("quiet_end", sa.String(), nullable=True),
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("paused_reason", sa.String(), nullable=True),
            sa.Column("told_at", sa.Float(), nullable=True),
            sa.Column("dm_channel_id", sa.BigInteger(), nullable=True),
            sa.Column("last_digest_at", sa.Float(), nullable=True),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("updated_at", sa.Float(), nullable=False),
        )
    if not inspector.has_table("dm_deliveries"):
        op.create_table(
            "dm_deliveries",
            sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
            sa.Column("user_id", sa.BigInteger(), nullable=False),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("planned_at", sa.Float(), nullable=False),
            sa.Column("due_at", sa.Float(), nullable=True),
            sa.Column("message_id", sa.BigInteger(), nullable=True),
            sa.Column("sent_at", sa.Float(), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("claimed_by", sa.String(), nullable=True),
            sa.Column("claimed_at", sa.Float(), nullable=True),
            sa.PrimaryKeyConstraint("story_id", "user_id"),
        )
        op.create_index("ix_dm_deliveries_state", "dm_deliveries", ["state", "due_at"])
        op.create_index("ix_dm_deliveries_user", "dm_deliveries", ["user_id", "planned_at"])
    if not inspector.has_table("personal_guilds"):
        op.create_table(
            "personal_guilds",
            sa.Column("guild_id", sa.BigInteger(), primary_key=True),
            sa.Column("enabled", sa.Boolean(), nullable=False),
            sa.Column("changed_at", sa.Float(), nullable=False),
        )


def downgrade() -> None:
    for table in ("personal_guilds", "dm_deliveries", "member_settings", "follows"):
        op.drop_table(table)
