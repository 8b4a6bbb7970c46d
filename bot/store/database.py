"""The connection seam every part of the store goes through: the engine, its backend's SQL dialect helpers, and
connections whose database errors leave as the store's own (:func:`bot.store.errors.wrap_errors`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, Engine

from bot.store.backends import Backend
from bot.store.errors import wrap_errors


class Database:
    """One per :class:`bot.store.Store`; each part (ledger, newsroom, cluster, ...) holds it, none builds its own."""

    def __init__(self, engine: Engine, backend: Backend) -> None:
        self.engine = engine
        self.backend = backend

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (or writes committed by the caller)."""
        with wrap_errors(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends without an error."""
        with wrap_errors(), self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def one_statement(self) -> Iterator[Connection]:
        """A connection for a single statement (read or write), committed at the end. On PostgreSQL it runs
        without a transaction around it (the backend's ``single_statement_options``): one round trip, not three."""
        with wrap_errors(), self.engine.connect() as conn:
            conn.execution_options(**self.backend.single_statement_options)
            yield conn
            conn.commit()


class Part:
    """A part of the store: it reaches the database only through the store's one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.backend = db.backend
