"""Digest run claims that survive their claimer: who claimed a run, whether it is still posting, and its messages.

- ``digest_run_keys.claimed_by``: the member (``cluster_members.member_id``) that claimed the run.
- ``digest_run_keys.state``: ``posting`` until the run is recorded, then ``done``. Keys claimed before this
  revision are ``done`` (their runs were recorded or are lost; nothing to resume).
- ``digest_run_keys.plan``: the run's window and exact message payloads (JSON) while it posts, so a process that
  takes over a dead claimer's run posts the same messages and adopts those already in the channel.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NEW_COLUMNS: tuple[sa.Column, ...] = (
    sa.Column("claimed_by", sa.String, nullable=True),
    sa.Column("state", sa.String, nullable=False, server_default="done"),
    sa.Column("plan", sa.Text, nullable=True),
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("digest_run_keys")}
    for column in NEW_COLUMNS:
        if column.name not in present:
            op.add_column("digest_run_keys", column)


def downgrade() -> None:
    with op.batch_alter_table("digest_run_keys") as batch:
        for column in reversed(NEW_COLUMNS):
            batch.drop_column(column.name)
