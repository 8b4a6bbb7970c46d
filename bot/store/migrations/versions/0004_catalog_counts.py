"""The autocomplete catalog's counts as a table, kept up to date by each batch instead of recounted.

- ``catalog_counts`` (kind, name, spelling, n): published stories per topic and per provider, filled here from
  the stories; from then on the store applies each batch's deltas in the batch's transaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.search import catalog

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "catalog_counts" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "catalog_counts",
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("spelling", sa.Text, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("kind", "name"),
    )
    catalog.recount(op.get_bind())


def downgrade() -> None:
    op.drop_table("catalog_counts")
