"""The store's row values and prepared statements for a batch: what ``Store.apply`` writes, kept beside it."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, String, Table, TextClause, bindparam, delete, func, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.store.errors import StorageError
from bot.store.records import FileFailed, FileParsed
from bot.store.schema import catalog_counts, files, stories, story_topics

# A batch of fewer stories than this (the watcher's usual one or two files) takes the statement-saving path of
# ``Store.apply``; larger ones (a first index) the bulk path built for hundreds of thousands of rows.
SMALL_BATCH = 8
IN_CHUNK = 500  # SQLite's bound-parameter limit is generous, but IN lists stay fast when short
PSYCOPG = "postgresql+psycopg"


def story_values(item: FileParsed, now: float) -> dict[str, Any]:
    story = item.story
    return {
        "key": story.key,
        "path": item.path,
        "title": story.title,
        "excerpt": story.excerpt,
        "web_url": story.web_url,
        "provider": story.provider.name if story.provider else "",
        "provider_domain": story.provider.domain if story.provider else "",
        "published_at": story.published_at.timestamp() if story.published_at else None,
        "quality": story.quality,
        "heat": story.heat,
        "published": story.published,
        "present": True,
        "data": item.data_json,
        "fingerprint": item.fingerprint,
        "updated_at": now,
        # Live from now on (an existing live story keeps its moment: see ``indexing._story_update``).
        "live_since": now if story.published else None,
    }


def file_values(item: FileParsed | FileFailed, key: str | None, error: str | None, now: float) -> dict[str, Any]:
    return {
        "path": item.path,
        "mtime_ns": item.mtime_ns,
        "size": item.size,
        "sha256": item.sha256,
        "story_key": key,
        "error": error,
        "checked_at": now,
    }


def select_in(conn: Connection, query: Select, column: Any, values: list[Any]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(values), IN_CHUNK):
        rows += conn.execute(query.where(column.in_(values[start : start + IN_CHUNK]))).all()
    return rows


def database_url(url: str) -> URL:
    """``storage.url`` parsed; ``postgresql://`` means psycopg 3 here (SQLAlchemy's default would be psycopg2)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(url, url, f"not a database URL ({exc})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=PSYCOPG)
    return parsed


# The upserts below are SQL text, the same on SQLite and PostgreSQL: SQLAlchemy (2.0) cannot cache the compiled
# form of an INSERT with an ON CONFLICT clause, and compiling one again on every batch cost about as much as a round
# trip to the server. Text is compiled once.


def _insert_sql(table: Table, columns: list[str], count: int | None = None) -> str:
    """INSERT of one row (parameters named as the columns) or, with ``count``, of that many (see ``numbered``)."""
    names = ", ".join(f'"{c}"' for c in columns)
    if count is None:
        values = "(" + ", ".join(f":{c}" for c in columns) + ")"
    else:
        values = ", ".join("(" + ", ".join(f":{c}_{i}" for c in columns) + ")" for i in range(count))
    return f"INSERT INTO {table.name} ({names}) VALUES {values}"


def numbered(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows as the parameters of one INSERT with a VALUES list: ``{column}_{row number}``."""
    return {f"{k}_{i}": v for i, row in enumerate(rows) for k, v in row.items()}


def _on_file_conflict(*, keep_story_key: bool) -> str:
    # A broken file keeps pointing at the story it defined before, which stays as it was.
    updated = ["mtime_ns", "size", "sha256", "error", "checked_at"] + ([] if keep_story_key else ["story_key"])
    return "ON CONFLICT (path) DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in updated)


def upsert_file_statement(*, keep_story_key: bool) -> TextClause:
    columns = [c.name for c in files.c]
    return text(f"{_insert_sql(files, columns)} {_on_file_conflict(keep_story_key=keep_story_key)}")


@functools.lru_cache(maxsize=2 * SMALL_BATCH)
def upsert_files_previous(count: int, *, keep_story_key: bool) -> TextClause:
    """PostgreSQL: upsert ``count`` files (distinct paths; parameters from ``numbered``) and return each one's story
    key as it was before, for the paths that had a row: one round trip instead of a read, then the write. The read
    sees the statement's snapshot, so not the write beside it."""
    columns = [c.name for c in files.c]
    paths = ", ".join(f":path_{i}" for i in range(count))
    upsert = f"{_insert_sql(files, columns, count)} {_on_file_conflict(keep_story_key=keep_story_key)}"
    return text(
        f"WITH previous AS (SELECT path, story_key FROM files WHERE path IN ({paths})), written AS ({upsert}) "
        "SELECT path, story_key FROM previous"
    )


def insert_story_statement() -> TextClause:
    """Insert one story unless its key exists, returning the new row's key and id (no row for an existing key)."""
    columns = [c.name for c in stories.c if c.name != "id"]
    return text(f'{_insert_sql(stories, columns)} ON CONFLICT ("key") DO NOTHING RETURNING "key", id')


CATALOG_ROWS_PER_STATEMENT = 100


def upsert_catalog(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add ``rows`` (kind, name, spelling, n; no (kind, name) twice) to the counts: a few rows go as one INSERT with
    a VALUES list, one round trip, where an executemany costs several on PostgreSQL. Rows keep their order, so
    concurrent writers lock them in the same order."""
    for start in range(0, len(rows), CATALOG_ROWS_PER_STATEMENT):
        chunk = rows[start : start + CATALOG_ROWS_PER_STATEMENT]
        conn.execute(_upsert_catalog_sql(len(chunk)), numbered(chunk))


@functools.lru_cache(maxsize=CATALOG_ROWS_PER_STATEMENT)
def _upsert_catalog_sql(count: int) -> TextClause:
    insert = _insert_sql(catalog_counts, ["kind", "name", "spelling", "n"], count)
    return text(f"{insert} ON CONFLICT (kind, name) DO UPDATE SET n = catalog_counts.n + excluded.n")


TOUCH_FILE = (
    update(files)
    .where(files.c.path == bindparam("p"))
    .values(
        mtime_ns=bindparam("mtime_ns"),
        size=bindparam("size"),
        checked_at=bindparam("checked_at"),
        sha256=func.coalesce(bindparam("sha", type_=String), files.c.sha256),
    )
)
UPDATE_STORY = (
    update(stories)
    .where(stories.c.id == bindparam("sid"))
    .values({c.name: bindparam(c.name) for c in stories.c if c.name not in ("id", "first_seen")})
)
DELETE_TOPICS = delete(story_topics).where(story_topics.c.story_id == bindparam("sid"))
