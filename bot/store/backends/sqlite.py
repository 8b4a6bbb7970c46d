"""SQLite: the engine with its pragmas, a private database file, the upsert and the bulk insert."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL

from bot.private_files import create_private_file, private_folder
from bot.store.errors import open_failure

if TYPE_CHECKING:
    from bot.store.backends import UpsertInsert


class SqliteBackend:
    name = "sqlite"
    single_statement_options: dict[str, Any] = {}  # noqa: RUF012  never mutated
    writes_in_with = False

    def create_engine(self, url: URL) -> Engine:
        path = url.database or ":memory:"
        if path != ":memory:":
            # Created private before SQLite opens it: the ledger holds webhook tokens (and -wal/-shm follow its mode).
            private_folder(Path(path).parent)
            create_private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _pragmas)
        return engine

    def describe_failure(self, url: URL, exc: BaseException) -> tuple[str, str]:
        path = url.database or ":memory:"
        return path, open_failure(path, exc)

    def insert(self, table: Table) -> UpsertInsert:
        return sqlite_insert(table)

    def migration_lock(self, conn: Connection) -> contextlib.AbstractContextManager[None]:
        # One process per SQLite file; the file's own write lock serialises anything else.
        return contextlib.nullcontext()

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            conn.execute(table.insert(), list(rows))


def _pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


SQLITE = SqliteBackend()
