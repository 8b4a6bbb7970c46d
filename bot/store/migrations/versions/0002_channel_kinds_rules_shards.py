"""Channel kinds, route rules and shards: new ledger columns and three tables.

- ``deliveries``: ``thread_id``, ``webhook_id``, ``crossposted``, ``crosspost_error`` (channel kinds) and
  ``planned_at`` with an index on ``(channel_id, planned_at)`` (a route's ``daily_cap`` counts today's posts).
- ``feed_routes.rules``: the route rules of routes added with ``/feed add`` (JSON).
- ``channel_webhooks`` (a channel's Newsdesk webhook; its token is a secret kept only here), ``channel_guilds``
  (which guild, hence which shard, a channel belongs to) and ``digest_run_keys`` (a digest run posts once).

Every column is nullable, so existing rows need no value; each step is skipped when already present.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_COLUMNS: tuple[tuple[str, sa.Column], ...] = (
    ("deliveries", sa.Column("thread_id", sa.BigInteger, nullable=True)),
    ("deliveries", sa.Column("webhook_id", sa.BigInteger, nullable=True)),
    ("deliveries", sa.Column("crossposted", sa.Boolean, nullable=True)),
    ("deliveries", sa.Column("crosspost_error", sa.Text, nullable=True)),
    ("deliveries", sa.Column("planned_at", sa.Float, nullable=True)),
    ("feed_routes", sa.Column("rules", sa.Text, nullable=True)),
)

m = sa.MetaData()
sa.Table(
    "channel_webhooks",
    m,
    sa.Column("channel_id", sa.BigInteger, primary_key=True),
    sa.Column("webhook_id", sa.BigInteger, nullable=False, unique=True),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
sa.Table(
    "channel_guilds",
    m,
    sa.Column("channel_id", sa.BigInteger, primary_key=True),
    sa.Column("guild_id", sa.BigInteger, nullable=False),
    sa.Column("checked_at", sa.Float, nullable=False),
)
sa.Table("digests", m, sa.Column("id", sa.Integer, primary_key=True))  # for the foreign key below only
sa.Table(
    "digest_run_keys",
    m,
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    sa.Column("run_key", sa.String, nullable=False),
    sa.Column("claimed_at", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("digest_id", "run_key"),
)
NEW_TABLES = ("channel_webhooks", "channel_guilds", "digest_run_keys")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, column in NEW_COLUMNS:
        if column.name not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, column)
    m.create_all(bind, tables=[m.tables[name] for name in NEW_TABLES], checkfirst=True)
    indexes = {i["name"] for i in sa.inspect(bind).get_indexes("deliveries")}
    if "ix_deliveries_channel_planned" not in indexes:
        op.create_index("ix_deliveries_channel_planned", "deliveries", ["channel_id", "planned_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_channel_planned", table_name="deliveries")
    for name in reversed(NEW_TABLES):
        op.drop_table(name)
    with op.batch_alter_table("feed_routes") as batch:
        batch.drop_column("rules")
    with op.batch_alter_table("deliveries") as batch:
        for _table, column in reversed(NEW_COLUMNS[:-1]):
            batch.drop_column(column.name)
