"""A database from before channel kinds, route rules and shards gains their columns and tables (migration 0002);
webhooks are remembered."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect

from bot.store import Store, migrate
from tests.unit.test_migrations import legacy_database

NEW_COLUMNS = {
    "deliveries": {"thread_id", "webhook_id", "crossposted", "crosspost_error", "planned_at"},
    "feed_routes": {"rules"},
}


def test_a_0_1_database_gains_the_new_columns_and_tables_with_every_row_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    counts = legacy_database(path)
    store = Store.open(f"sqlite:///{path}")
    try:
        inspector = inspect(store.engine)
        for table, columns in NEW_COLUMNS.items():
            assert columns <= {c["name"] for c in inspector.get_columns(table)}
        assert {"channel_webhooks", "channel_guilds", "digest_run_keys"} <= set(inspector.get_table_names())
        assert "ix_deliveries_channel_planned" in {i["name"] for i in inspector.get_indexes("deliveries")}
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head() >= "0002"  # 0003 and later build on it
    finally:
        store.close()
    Store.open(f"sqlite:///{path}").close()  # and opening again changes nothing
    with closing(sqlite3.connect(path)) as conn:
        for table, count in counts.items():
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (count,), table
        assert (
            conn.execute("SELECT thread_id, crossposted, planned_at FROM deliveries").fetchall()
            == [(None, None, None)] * counts["deliveries"]
        )


def test_webhook_is_saved_reused_and_forgotten(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        hooks = store.webhooks
        assert hooks.webhook_for(5) is None
        hooks.save_webhook(5, 77, "secret")
        assert hooks.webhook_for(5) == (77, "secret") and hooks.webhook_by_id(77) == (77, "secret")
        hooks.forget_webhook(77)
        assert hooks.webhook_for(5) is None and hooks.webhook_by_id(77) is None
    finally:
        store.close()
