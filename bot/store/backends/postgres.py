"""PostgreSQL (psycopg 3): connection pool, an advisory lock around migrations, and COPY for bulk inserts."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError

if TYPE_CHECKING:
    from bot.store.backends import UpsertInsert

# Any constant; processes opening the same database at once take turns migrating it.
MIGRATION_LOCK_KEY = 0x6E657773  # "news"
# A pooled connection idle for longer than this is pinged before use; one used just now is not (a ping is a
# round trip, and a post's path from file to Discord takes several connections in a row).
PING_IDLE_SECONDS = 2.0
# Fewer rows than this go in as one INSERT: a COPY costs an extra round trip, worth it only for bulk loads.
COPY_FROM_ROWS = 50


class PostgresBackend:
    name = "postgresql"
    # Autocommit: one statement is atomic by itself, and this spares the BEGIN and the ROLLBACK, a round trip each.
    single_statement_options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}  # noqa: RUF012  never mutated
    writes_in_with = True

    def create_engine(self, url: URL) -> Engine:
        # LIFO: the connection used last goes out first, so a busy process keeps reusing warm connections.
        engine = create_engine(
            url,
            pool_use_lifo=True,
            pool_size=5,
            max_overflow=10,
            connect_args={"connect_timeout": 10, "application_name": "newsdesk"},
        )
        # An INSERT of several rows goes as one statement with a VALUES list (compiled once, cached) instead of
        # psycopg's executemany, which pipelines but still waits for the server more than once: on a busy machine
        # each wait costs a scheduling round.
        engine.dialect.use_insertmanyvalues_wo_returning = True
        _ping_when_idle(engine)
        return engine

    def describe_failure(self, url: URL, exc: BaseException) -> tuple[str, str]:
        where = f"{url.database} on {url.host or 'localhost'}:{url.port or 5432}"
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return where, reason.removeprefix("connection failed: ")

    def insert(self, table: Table) -> UpsertInsert:
        return pg_insert(table)

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        # Session-level: held across the migration's commits, and dropped by the server if this process dies.
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        # COPY, in the batch's transaction: psycopg's executemany costs the client ~0.1 ms a row, COPY a few µs.
        if not rows:
            return
        if len(rows) < COPY_FROM_ROWS:
            conn.execute(insert(table), list(rows))
            return
        columns = list(rows[0])
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections idle past ``PING_IDLE_SECONDS``: it replaces
    connections the server dropped (restart, idle timeout) instead of failing a command, without a round trip
    before every transaction."""

    @event.listens_for(engine, "connect")
    def fresh(dbapi_conn: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def returned(dbapi_conn: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("used_at", 0.0) < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool drops this connection and checks out another (a fresh one if need be).
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        record.info["used_at"] = time.monotonic()


POSTGRES = PostgresBackend()
