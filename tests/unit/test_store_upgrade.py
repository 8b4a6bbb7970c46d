"""A database made before channel kinds gets their columns at open; webhooks and crossposts are remembered."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from bot.store import Store
from bot.store.upgrade import ADDED_COLUMNS, add_missing_columns
from bot.store.webhooks import WebhookStore

OLD_DELIVERIES = (
    "CREATE TABLE deliveries (story_id INTEGER NOT NULL, channel_id BIGINT NOT NULL, state VARCHAR NOT NULL, "
    "message_id BIGINT, payload_hash VARCHAR, generation INTEGER NOT NULL, version INTEGER NOT NULL, "
    "attempts INTEGER NOT NULL, last_error TEXT, updated_at FLOAT NOT NULL, PRIMARY KEY (story_id, channel_id))"
)


def test_old_database_gets_the_new_columns_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(OLD_DELIVERIES)
        conn.execute("INSERT INTO deliveries VALUES (1, 2, 'sent', 3, 'h', 0, 0, 0, NULL, 0)")
    store = Store.open(f"sqlite:///{path}")
    try:
        columns = {c["name"] for c in inspect(store.engine).get_columns("deliveries")}
        assert {name for table, name in ADDED_COLUMNS if table.name == "deliveries"} <= columns
        with store.engine.begin() as conn:
            assert add_missing_columns(conn) == [], "idempotent"
    finally:
        store.close()
    Store.open(f"sqlite:///{path}").close()  # and opening again changes nothing
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT message_id, thread_id, crossposted FROM deliveries").fetchall() == [(3, None, None)]


def test_webhook_is_saved_reused_and_forgotten(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        hooks = WebhookStore(store)
        assert hooks.webhook_for(5) is None
        hooks.save_webhook(5, 77, "secret")
        assert hooks.webhook_for(5) == (77, "secret") and hooks.webhook_by_id(77) == (77, "secret")
        hooks.forget_webhook(77)
        assert hooks.webhook_for(5) is None and hooks.webhook_by_id(77) is None
    finally:
        store.close()
