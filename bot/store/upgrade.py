"""Columns added to existing tables since a database was created: ``create_all`` only creates missing tables,
so a database made by an older version gets these at open. Idempotent; only nullable columns are added."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Table, inspect
from sqlalchemy.schema import CreateColumn

from bot.store.newsroom_tables import feed_routes
from bot.store.schema import deliveries

log = logging.getLogger(__name__)

# (table, column name): each must be nullable, so existing rows need no value.
ADDED_COLUMNS: tuple[tuple[Table, str], ...] = (
    (deliveries, "thread_id"),
    (deliveries, "webhook_id"),
    (deliveries, "crossposted"),
    (deliveries, "crosspost_error"),
    (deliveries, "planned_at"),  # route rules: a daily_cap counts today's posts
    (feed_routes, "rules"),  # route rules of routes added with /feed add (JSON)
)


def add_missing_columns(conn: Connection) -> list[str]:
    """Add every column of ``ADDED_COLUMNS`` the database lacks; returns the ones added (``table.column``)."""
    added: list[str] = []
    inspector = inspect(conn)
    for table, name in ADDED_COLUMNS:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        if name in present:
            continue
        column = table.c[name]
        assert column.nullable, f"{table.name}.{name} must be nullable to be added to an existing table"
        ddl = CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
        added.append(f"{table.name}.{name}")
    if added:
        log.info("Database upgraded: added %s", ", ".join(added))
    return added
