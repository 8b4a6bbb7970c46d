"""What differs between the databases the store runs on, behind one small interface.

Each backend module (``sqlite``, ``postgres``) holds its engine setup, its upsert ``insert``, its full-text
index and the few search-SQL spellings that differ. The rest of ``bot.store`` asks ``backend_for`` and stays
dialect-free.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL

if TYPE_CHECKING:
    from bot.store.backends.sqlite_rank import DocFrequencies

# (story id, title, excerpt, provider, topics joined by spaces): one row of the full-text index.
SearchRow = tuple[int, str, str, str, str]

# The dialects' INSERT: both have ``on_conflict_do_update``/``on_conflict_do_nothing`` and ``excluded``.
UpsertInsert = sqlite.Insert | postgresql.Insert


class Backend(Protocol):
    name: str
    # The literal a boolean column is compared with in hand-written SQL.
    true: str
    # A join whose left side is read first (SQLite's CROSS JOIN fixes the order; PostgreSQL plans it itself).
    ordered_join: str
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

    def search_add(self, conn: Connection, rows: Sequence[SearchRow]) -> None: ...

    def search_remove(self, conn: Connection, story_ids: Sequence[int]) -> None: ...

    def search_window(
        self,
        conn: Connection,
        words: Sequence[str],
        prefix: bool,
        topics: Sequence[str],
        providers: Sequence[str],
        n: int,
        freq: DocFrequencies | None = None,
    ) -> list[tuple[int, Any]]:
        """Up to ``n`` (story id, score) matching every word, newest indexed first. The score is a rank (lower is
        better) or, with ``prefix``, the title. ``freq``: the store's word counts kept between searches (SQLite).
        """
        ...

    def hint(self, column: str) -> str:
        """``column`` written so the planner does not pick an index for that term (SQLite's unary +)."""
        ...

    def ids_in(self, params: dict[str, Any], ids: Sequence[int]) -> str:
        """A condition ``s.id`` is one of ``ids`` (a single bound parameter, however many ids)."""
        ...

    def indexed_by(self, index: str) -> str: ...


def backend_for(name: str) -> Backend:
    """The backend for a SQLAlchemy dialect or backend name ("sqlite", "postgresql")."""
    if name == "sqlite":
        from bot.store.backends.sqlite import SQLITE

        return SQLITE
    if name == "postgresql":
        from bot.store.backends.postgres import POSTGRES

        return POSTGRES
    raise ValueError(f"unsupported database {name!r}: use sqlite:///path or postgresql+psycopg://...")


def backend_of(conn: Connection | Engine) -> Backend:
    return backend_for(conn.dialect.name)


@contextlib.contextmanager
def no_lock() -> Iterator[None]:
    yield
