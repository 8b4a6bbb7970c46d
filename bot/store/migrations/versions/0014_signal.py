"""The community's signal finds a story from a Discord event: ``deliveries`` indexed by message and by thread.

A reaction names the message it is on (the story's post, or a forum post's starter message, whose id is the
post's); a reply names the thread it is in (the story's discussion thread or forum post). Without these indexes
every such event would scan the ledger.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = {"ix_deliveries_message_id": "message_id", "ix_deliveries_thread_id": "thread_id"}


def upgrade() -> None:
    present = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("deliveries")}
    for name, column in INDEXES.items():
        if name not in present:
            op.create_index(name, "deliveries", [column])


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="deliveries")
