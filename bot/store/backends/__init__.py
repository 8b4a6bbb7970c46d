"""What differs between the databases the store runs on, behind one small interface.

Each backend module (``sqlite``, ``postgres``) holds its engine setup, its upsert ``insert``, its migration lock
and its fastest bulk insert. The rest of ``bot.store`` asks ``backend_for`` and stays dialect-free; what differs
in full-text search is ``bot.search.backend``'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL

# The dialects' INSERT: both have ``on_conflict_do_update``/``on_conflict_do_nothing`` and ``excluded``.
UpsertInsert = sqlite.Insert | postgresql.Insert


class Backend(Protocol):
    name: str
    # Execution options for a connection that runs a single statement (``Store.one_statement``).
    single_statement_options: dict[str, Any]
    # Whether a WITH clause may hold an INSERT (PostgreSQL), so that a write and a read share one statement.
    writes_in_with: bool

    def create_engine(self, url: URL) -> Engine: ...

    def describe_failure(self, url: URL, exc: BaseException) -> tuple[str, str]:
        """(what could not be opened, why) for a failure at open."""
        ...

    def insert(self, table: Table) -> UpsertInsert:
        """The dialect's INSERT, which has ``on_conflict_do_update`` / ``on_conflict_do_nothing``."""
        ...

    def migration_lock(self, conn: Connection) -> contextlib.AbstractContextManager[None]: ...

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many rows (every row with the same keys) inside the connection's transaction, the fastest way."""
        ...


def backend_for(name: str) -> Backend:
    """The backend for a SQLAlchemy dialect or backend name ("sqlite", "postgresql")."""
    # Imported on first use: a process loads only its own database's driver setup.
    if name == "sqlite":
        from bot.store.backends.sqlite import SQLITE

        return SQLITE
    if name == "postgresql":
        from bot.store.backends.postgres import POSTGRES

        return POSTGRES
    raise ValueError(f"unsupported database {name!r}: use sqlite:///path or postgresql+psycopg://...")


def backend_of(conn: Connection | Engine) -> Backend:
    return backend_for(conn.dialect.name)
