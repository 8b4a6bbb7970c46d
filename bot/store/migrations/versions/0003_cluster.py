"""Cluster: the members table and delivery claims.

- ``cluster_members``: one row per running process (host, pid, shards wanted and held, ingest, standby,
  heartbeat); a member whose heartbeat is older than a few intervals is dead, and its claims are taken over.
- ``deliveries.claimed_by`` / ``claimed_at``: the member sending the row right now (NULL when nobody is).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_COLUMNS: tuple[sa.Column, ...] = (
    sa.Column("claimed_by", sa.String, nullable=True),
    sa.Column("claimed_at", sa.Float, nullable=True),
)

m = sa.MetaData()
sa.Table(
    "cluster_members",
    m,
    sa.Column("member_id", sa.String, primary_key=True),
    sa.Column("host", sa.String, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("shard_count", sa.Integer, nullable=False),
    sa.Column("shards_wanted", sa.String, nullable=False),
    sa.Column("shards_held", sa.String, nullable=False),
    sa.Column("ingest", sa.Boolean, nullable=False),
    sa.Column("standby", sa.Boolean, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    sa.Column("every", sa.Float, nullable=False),
)


def upgrade() -> None:
    bind = op.get_bind()
    present = {c["name"] for c in sa.inspect(bind).get_columns("deliveries")}
    for column in NEW_COLUMNS:
        if column.name not in present:
            op.add_column("deliveries", column)
    m.create_all(bind, checkfirst=True)


def downgrade() -> None:
    op.drop_table("cluster_members")
    with op.batch_alter_table("deliveries") as batch:
        for column in reversed(NEW_COLUMNS):
            batch.drop_column(column.name)
