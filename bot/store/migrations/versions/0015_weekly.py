"""The scheduled weekly report: servers that opted in, and one claim per (server, week).

- ``weekly_reports``: servers whose admins turned the Monday report on (or off again) with
  ``/newsdesk report schedule:``.
- ``weekly_runs``: one row per (server, week), inserted before the report is posted, so it is posted once
  however many processes or triggers reach it; ``guild_id`` 0 is the deployment's own report.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("weekly_reports"):
        op.create_table(
            "weekly_reports",
            sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
            sa.Column("enabled", sa.Boolean(), nullable=False),
            sa.Column("changed_at", sa.Float(), nullable=False),
        )
    if not inspector.has_table("weekly_runs"):
        op.create_table(
            "weekly_runs",
            sa.Column("guild_id", sa.BigInteger(), nullable=False),
            sa.Column("week", sa.String(), nullable=False),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("claimed_by", sa.String(), nullable=True),
            sa.Column("claimed_at", sa.Float(), nullable=False),
            sa.Column("channel_id", sa.BigInteger(), nullable=True),
            sa.Column("message_id", sa.BigInteger(), nullable=True),
            sa.PrimaryKeyConstraint("guild_id", "week"),
        )


def downgrade() -> None:
    op.drop_table("weekly_runs")
    op.drop_table("weekly_reports")
