"""Which file defines a story when files move or double up: renames of stories keyed by their path, and two files
with one canonical webUrl. Called by indexing (``bot/store/indexing.py``) inside a batch's transaction."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, func, select, update

from bot.store.batch_sql import select_in
from bot.store.database import Database
from bot.store.records import FileParsed
from bot.store.schema import files, stories

log = logging.getLogger(__name__)

PATH_KEY = "file:"  # the key of a story without a webUrl: its file's path


def carry_renames(conn: Connection, parsed: list[FileParsed], removed: list[str]) -> None:
    """A story without a webUrl is keyed by its path, so renaming its file would look like a new story and a
    deleted one (two messages for a moment, then one under a new id). A new path with the exact bytes of a
    path removed in the same batch is that file moved: its story takes the new path's key, with its messages."""
    gone = select_in(conn, select(files.c.path, files.c.sha256, files.c.story_key), files.c.path, removed)
    by_bytes = {r.sha256: r.story_key for r in gone if r.story_key and r.story_key.startswith(PATH_KEY)}
    for item in parsed:
        old_key = by_bytes.pop(item.sha256, None)
        new_key = item.story.key
        if old_key is None or old_key == new_key or not new_key.startswith(PATH_KEY):
            continue
        if conn.scalar(select(stories.c.id).where(stories.c.key == new_key)) is not None:
            continue  # the new path already defines a story of its own
        conn.execute(update(stories).where(stories.c.key == old_key).values(key=new_key, path=item.path))
        conn.execute(update(files).where(files.c.story_key == old_key).values(story_key=new_key))
        log.info("%s was renamed to %s: its story keeps its messages", old_key.removeprefix(PATH_KEY), item.path)


def older_duplicates(
    conn: Connection, defined: list[tuple[FileParsed, str]], leaving: set[str], told: set[frozenset[str]]
) -> set[str]:
    """Two files with one canonical webUrl define one story: the file written last (newest mtime). Returns the
    keys whose story stays defined by another, newer file; says so once per pair of files (``told``), naming
    both (``newsdesk status`` lists them too). ``defined``: each parsed file with the path that defines its story."""
    others = [(item, path) for item, path in defined if path != item.path and path not in leaving]
    if not others:
        return set()
    query = select(files.c.path, files.c.mtime_ns).where(files.c.error.is_(None))
    alive = {r.path: r.mtime_ns for r in select_in(conn, query, files.c.path, [path for _, path in others])}
    older: set[str] = set()
    for item, path in others:
        if path not in alive:
            continue  # the story's file is gone or broken: this one defines it now
        winner = path if alive[path] > item.mtime_ns else item.path
        if winner == path:
            older.add(item.story.key)
        pair = frozenset((path, item.path))
        if pair not in told:
            told.add(pair)
            log.warning(
                "%s and %s have the same webUrl (%s): one story, defined by the file written last (%s)",
                path,
                item.path,
                item.story.web_url,
                winner,
            )
    return older


def duplicate_files(db: Database, limit: int = 5) -> tuple[int, list[list[str]]]:
    """Stories defined by more than one file (the same canonical webUrl): how many, and up to ``limit`` groups
    of their paths, the file that defines the story first."""
    with db.connect() as conn:
        keys = list(
            conn.scalars(
                select(files.c.story_key)
                .where(files.c.story_key.is_not(None), files.c.error.is_(None))
                .group_by(files.c.story_key)
                .having(func.count() > 1)
                .order_by(files.c.story_key)
            )
        )
        groups = []
        for key in keys[:limit]:
            owner = conn.scalar(select(stories.c.path).where(stories.c.key == key))
            paths = sorted(conn.scalars(select(files.c.path).where(files.c.story_key == key)))
            groups.append(sorted(paths, key=lambda p: p != owner))
    return len(keys), groups
