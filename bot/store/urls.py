"""``storage.url`` as the commands need it, without a database connection: which backend it names, and the file of
a SQLite one (the CLI picks console mode's twin database from it, bot/cli/data.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def is_sqlite(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "sqlite"
    except ArgumentError:
        return False


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL; None for other databases and in-memory ones."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def with_database(url: str, database: Path) -> str:
    """``url`` naming another database file (password kept: the URL is used, not shown)."""
    return make_url(url).set(database=str(database)).render_as_string(hide_password=False)
