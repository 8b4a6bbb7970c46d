"""A story is new to a route once: ``stories.live_since`` and ``route_starts``.

- ``stories.live_since``: when the bot last saw the story become live (published and present), None while it is
  not. Filled with ``first_seen`` for the live stories already stored: the best the database knows.
- ``route_starts``: when each config route began (``/feed add`` routes begin at ``feed_routes.created_at``).
  Config routes get their row at the next start (``bot/pipeline.py``): for a database that predates this
  revision, at the first run's time, so the stories indexed since stay new to the routes it already had.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    # Only if missing, as every revision here: a database may be re-stamped at an older revision and upgraded again.
    if "live_since" not in {c["name"] for c in inspector.get_columns("stories")}:
        op.add_column("stories", sa.Column("live_since", sa.Float(), nullable=True))
        op.execute("UPDATE stories SET live_since = first_seen WHERE published AND present")
    if not inspector.has_table("route_starts"):
        op.create_table(
            "route_starts",
            sa.Column("channel_id", sa.BigInteger(), primary_key=True),
            sa.Column("began_at", sa.Float(), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("route_starts")
    # Not a batch (copy and swap) on SQLite: dropping the old ``stories`` would cascade to its topics and
    # deliveries. SQLite drops a plain column in place since 3.35.
    op.drop_column("stories", "live_since")
