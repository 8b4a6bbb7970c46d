"""What differs between the databases' full-text search, behind one small interface.

Each module (``sqlite``, ``postgres``) holds its full-text index (written by the store's indexing transaction
through ``add`` and ``remove``), its ranking window, and the few search-SQL spellings that differ. The rest of
``bot.search`` asks ``search_backend_of`` and stays dialect-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine, Table

# Each imports this module only for type checking: its classes are checked against the protocol below.
from bot.search.postgres import POSTGRES_SEARCH
from bot.search.sqlite import SQLITE_SEARCH

if TYPE_CHECKING:
    from bot.search.sqlite_rank import DocFrequencies

# (story id, title, excerpt, provider, topics joined by spaces): one row of the full-text index.
SearchRow = tuple[int, str, str, str, str]
# (story id, score) rows of a window: the score is a rank (lower is better) or, for a word start, the title.
Rows = list[tuple[int, Any]]


@dataclass(frozen=True, slots=True)
class Ask:
    """What a search asks of the full-text index: every one of ``words`` (with ``prefix``, the last one as a word
    start), in stories of any of ``topics`` (normalised) and of any of ``providers`` when given."""

    words: tuple[str, ...]
    prefix: bool = False
    topics: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()


class BulkInsert(Protocol):
    """The store's fastest insert of many rows in the connection's transaction (``Backend.bulk_insert``)."""

    def __call__(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None: ...


class SearchBackend(Protocol):
    name: str
    # The literal a boolean column is compared with in hand-written SQL.
    true: str
    # A join whose left side is read first (SQLite's CROSS JOIN fixes the order; PostgreSQL plans it itself).
    ordered_join: str

    def add(self, conn: Connection, rows: Sequence[SearchRow], bulk_insert: BulkInsert) -> None:
        """Index these stories, inside the store's indexing transaction (``bulk_insert``: for a table of the index's
        own, such as PostgreSQL's ``stories_search``)."""
        ...

    def remove(self, conn: Connection, story_ids: Sequence[int]) -> None: ...

    def window(self, conn: Connection, ask: Ask, n: int, freq: DocFrequencies | None = None) -> Rows:
        """Up to ``n`` (story id, score) matching ``ask``, newest indexed first. The score is a rank (lower is
        better) or, with ``ask.prefix``, the title. ``freq``: the store's word counts kept between searches (SQLite).
        """
        ...

    def hint(self, column: str) -> str:
        """``column`` written so the planner does not pick an index for that term (SQLite's unary +)."""
        ...

    def ids_in(self, params: dict[str, Any], ids: Sequence[int]) -> str:
        """A condition ``s.id`` is one of ``ids`` (a single bound parameter, however many ids)."""
        ...

    def indexed_by(self, index: str) -> str: ...


_BACKENDS: dict[str, SearchBackend] = {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRES_SEARCH}


def search_backend_for(name: str) -> SearchBackend:
    """The search backend for a SQLAlchemy dialect or backend name ("sqlite", "postgresql")."""
    found = _BACKENDS.get(name)
    if found is None:
        raise ValueError(f"no full-text search for database {name!r}")
    return found


def search_backend_of(conn: Connection | Engine) -> SearchBackend:
    return search_backend_for(conn.dialect.name)
