"""The store's row values and prepared statements for a batch: what ``Store.apply`` writes, kept beside it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.store.backends import Backend
from bot.store.errors import StorageError
from bot.store.records import FileFailed, FileParsed
from bot.store.schema import files, stories, story_topics

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


def upsert_file_statement(backend: Backend, *, keep_story_key: bool) -> Any:
    stmt = backend.insert(files)
    updated = ["mtime_ns", "size", "sha256", "error", "checked_at"] + ([] if keep_story_key else ["story_key"])
    return stmt.on_conflict_do_update(index_elements=["path"], set_={c: stmt.excluded[c] for c in updated})


TOUCH_FILE = (
    update(files)
    .where(files.c.path == bindparam("p"))
    .values(mtime_ns=bindparam("mtime_ns"), size=bindparam("size"), checked_at=bindparam("checked_at"))
)
UPDATE_STORY = (
    update(stories)
    .where(stories.c.id == bindparam("sid"))
    .values({c.name: bindparam(c.name) for c in stories.c if c.name not in ("id", "first_seen")})
)
DELETE_TOPICS = delete(story_topics).where(story_topics.c.story_id == bindparam("sid"))
