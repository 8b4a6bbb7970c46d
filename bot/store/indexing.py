"""Indexing: recording a batch of scan results (files, stories, topics, full text, catalog counts) and, in the
same transaction, the ledger actions the batch causes. A part of :class:`bot.store.store.Store`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, TextClause, delete, select, update

from bot.routes.planning import Planner, StoryBefore, StoryChange
from bot.search.backend import SearchBackend
from bot.search.catalog import CatalogDelta
from bot.store import file_identity, ledger
from bot.store.backends import Backend
from bot.store.batch_sql import (
    DELETE_TOPICS,
    SMALL_BATCH,
    TOUCH_FILE,
    UPDATE_STORY,
    file_values,
    numbered,
    select_in,
    story_values,
    upsert_catalog,
    upsert_files_previous,
)
from bot.store.database import Database
from bot.store.dm_planning import plan_dms
from bot.store.records import FileFailed, FileParsed, FileRemoved, FileState, FileTouched, ScanItem
from bot.store.schema import files, stories, story_topics
from bot.stories.story import Story

log = logging.getLogger(__name__)

DeliveryKey = ledger.DeliveryKey


@dataclass(slots=True)
class ApplyResult:
    """What a batch of scan results changed: ledger rows to act on, and files to parse again."""

    pending: list[DeliveryKey] = field(default_factory=list)
    reparse: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    parsed: int = 0
    failed: int = 0
    removed: int = 0
    dms: int = 0  # DM rows planned (bot/store/dm_planning.py): the DM sender has work


class Indexing:
    """The store's indexing part (``Store`` derives from it); its methods run on the store's serial thread."""

    db: Database
    backend: Backend
    _announce: Callable[[Connection, list[DeliveryKey]], None]  # the store's planning hook (cluster NOTIFY)
    search_backend: SearchBackend
    _upsert_file: TextClause
    _upsert_file_keep_key: TextClause
    _insert_story: TextClause
    _duplicates_told: set[frozenset[str]]
    plans_dms: bool  # members' follows get DM rows planned with their stories (Discord mode, personal.enabled)
    dm_embargo: bool  # those DMs wait for a story dated in the future (articles.embargo)

    def file_stats(self) -> dict[str, tuple[int, int]]:
        """path -> (mtime_ns, size) of every known file: all a no-change rescan needs, and cheap to load."""
        with self.db.connect() as conn:
            cursor = conn.exec_driver_sql("SELECT path, mtime_ns, size FROM files")
            return {path: (mtime, size) for path, mtime, size in cursor}

    def file_states(self, paths: list[str]) -> dict[str, FileState]:
        with self.db.connect() as conn:
            return {r[0]: FileState(*r[1:]) for r in select_in(conn, _FILE_STATE, files.c.path, paths)}

    def file_state(self, path: str) -> FileState | None:
        with self.db.one_statement() as conn:
            r = conn.execute(_FILE_STATE.where(files.c.path == path)).first()
            return FileState(*r[1:]) if r else None

    def live_since(self, key: str) -> float | None:
        """When the story with ``key`` last went live (None: not stored, or not live): the archive rule's input."""
        with self.db.connect() as conn:
            return conn.scalar(select(stories.c.live_since).where(stories.c.key == key, stories.c.present.is_(True)))

    def paths_under(self, folder: str) -> list[str]:
        """Known files in ``folder`` (relative, POSIX) and below it: a folder moved out of the tree takes them along."""
        with self.db.connect() as conn:
            query = select(files.c.path).where(files.c.path.startswith(folder + "/", autoescape=True))
            return list(conn.scalars(query))

    def duplicate_files(self, limit: int = 5) -> tuple[int, list[list[str]]]:
        return file_identity.duplicate_files(self.db, limit)

    def apply(self, items: Sequence[ScanItem], planner: Planner, *, announce: bool = True) -> ApplyResult:
        """Record a batch of scan results in one transaction, and in it the ledger actions ``planner`` decides
        and the members' DMs (``announce`` False: the first run's silent index, none).

        Parsed files go first so that a rename (new path, then old path removed) never looks like the story
        vanishing. The planner sees each touched story's state before the batch and after it.
        """
        result = ApplyResult()
        now = time.time()
        changes: list[StoryChange] = []
        catalog = CatalogDelta()
        parsed = [i for i in items if isinstance(i, FileParsed)]
        removed = [i.path for i in items if isinstance(i, FileRemoved)]
        with self.db.begin() as conn:
            if parsed and removed:
                file_identity.carry_renames(conn, parsed, removed)
            if parsed:
                self._apply_parsed(conn, parsed, now, changes, result, catalog, leaving=set(removed))
            touched = [i for i in items if isinstance(i, FileTouched)]
            if touched:
                conn.execute(
                    TOUCH_FILE,
                    [
                        {"p": i.path, "mtime_ns": i.mtime_ns, "size": i.size, "checked_at": now, "sha": i.sha256}
                        for i in touched
                    ],
                )
            for item in items:
                if isinstance(item, FileFailed):
                    result.failed += 1
                    self._upsert_files(conn, [file_values(item, None, item.error, now)], keep_story_key=True)
                elif isinstance(item, FileRemoved):
                    result.removed += 1
                    key = conn.scalar(select(files.c.story_key).where(files.c.path == item.path))
                    conn.execute(delete(files).where(files.c.path == item.path))
                    if key:
                        self._detach(conn, key, item.path, changes, result, catalog)
            upsert_catalog(conn, catalog.rows())
            if changes:
                # Only the ledger's deliveries table is written from here on, so planning after all the story
                # writes of the batch records the same as planning story by story would.
                # A story new in this batch (no state before it) has no ledger rows yet: none are read for it.
                new = {c.story_id for c in changes if c.before is None}
                planned = ledger.record(conn, planner(changes, ledger.LedgerReads(conn)), new_stories=new)
                self._announce(conn, planned)
                result.pending += planned
                if self.plans_dms:
                    result.dms = plan_dms(conn, self.backend, changes, announce=announce, embargo=self.dm_embargo)
        return result

    def _apply_parsed(
        self,
        conn: Connection,
        items: list[FileParsed],
        now: float,
        changes: list[StoryChange],
        result: ApplyResult,
        catalog: CatalogDelta,
        *,
        leaving: set[str],
    ) -> None:
        """A first index writes hundreds of thousands of rows, so each table gets one executemany (or COPY); a
        small batch, the watcher's usual single file, saves statements instead: each is a round trip on PostgreSQL."""
        result.parsed += len(items)
        file_rows = [file_values(i, i.story.key, None, now) for i in items]
        if (
            self.backend.writes_in_with
            and len(file_rows) < SMALL_BATCH
            and len({i.path for i in items}) == len(file_rows)
        ):
            previous = conn.execute(
                upsert_files_previous(len(file_rows), keep_story_key=False), numbered(file_rows)
            ).all()
        else:
            previous = select_in(conn, select(files.c.path, files.c.story_key), files.c.path, [i.path for i in items])
            self._upsert_files(conn, file_rows, keep_story_key=False)

        latest: dict[str, FileParsed] = {}
        for item in items:  # two files, one story: the one written last defines it
            if item.story.key not in latest or item.mtime_ns >= latest[item.story.key].mtime_ns:
                latest[item.story.key] = item
        # A small batch inserts the stories its paths did not define before straight away, ids returned: for the
        # common case, one new file, that is one statement instead of lock-read, insert and read the id back.
        ids = self._insert_new(conn, latest, {k for _, k in previous if k}, now) if len(latest) < SMALL_BATCH else {}
        old = {
            r.key: r
            for r in select_in(
                conn,
                # Locked (PostgreSQL): a concurrent batch editing the same story waits, then sees this one's result,
                # so the catalog deltas below start from the committed state.
                select(
                    stories.c.key,
                    stories.c.id,
                    stories.c.path,
                    stories.c.published,
                    stories.c.present,
                    stories.c.fingerprint,
                    stories.c.provider,
                    stories.c.live_since,
                ).with_for_update(),
                stories.c.key,
                [k for k in latest if k not in ids],
            )
        }
        # A nightly regeneration rewrites every file; what parses to the story as stored (same data, same file) needs
        # its file row updated, nothing else: no story, topic or full-text write, nothing to plan. Nor does a file
        # whose story a newer file defines (the same webUrl twice).
        untouched = {
            key
            for key, i in latest.items()
            if key in old and old[key].present and old[key].fingerprint == i.fingerprint and old[key].path == i.path
        }
        defined = [(i, old[k].path) for k, i in latest.items() if k in old]
        untouched |= file_identity.older_duplicates(conn, defined, leaving, self._duplicates_told)
        for key in untouched:
            del latest[key]
        fresh = [i for key, i in latest.items() if key not in old and key not in ids]
        if fresh:
            self.backend.bulk_insert(conn, stories, [story_values(i, now) | {"first_seen": now} for i in fresh])
        ids.update((key, r.id) for key, r in old.items())
        if fresh:
            rows = select_in(conn, select(stories.c.key, stories.c.id), stories.c.key, [i.story.key for i in fresh])
            ids.update((r.key, r.id) for r in rows)
        existing = [i for key, i in latest.items() if key in old]
        if existing:
            self._uncount(conn, [old[i.story.key] for i in existing], catalog)
            conn.execute(
                UPDATE_STORY,
                [_story_update(i, old[i.story.key], now) | {"sid": ids[i.story.key]} for i in existing],
            )
            stale = [{"sid": ids[i.story.key]} for i in existing]
            conn.execute(DELETE_TOPICS, stale)
            self.search_backend.remove(conn, [r["sid"] for r in stale])
        self._index(conn, [(ids[key], i.story) for key, i in latest.items()])

        for key, item in latest.items():
            catalog.add_story(item.story, +1)
            row = old.get(key)
            before = (
                StoryBefore(bool(row.published), bool(row.present), row.fingerprint, row.live_since) if row else None
            )
            changes.append(StoryChange(ids[key], before, item.story, item.fingerprint))
        for path, previous_key in previous:
            if previous_key and previous_key not in latest and previous_key not in untouched:
                self._detach(conn, previous_key, path, changes, result, catalog)

    def _insert_new(
        self, conn: Connection, latest: dict[str, FileParsed], known: set[str], now: float
    ) -> dict[str, int]:
        """Insert the stories of ``latest`` that no path of the batch defined before (``known``); key -> new id.

        A key that exists after all (a second file for a story, a rename) is left alone by the conflict clause
        and not returned: the caller reads it, locked, as an existing story."""
        ids: dict[str, int] = {}
        for key, item in latest.items():
            # One statement a story: an executemany cannot return rows on SQLite, and a small batch has few.
            if key not in known:
                row = conn.execute(self._insert_story, story_values(item, now) | {"first_seen": now}).first()
                if row is not None:
                    ids[row.key] = row.id
        return ids

    def _index(self, conn: Connection, entries: list[tuple[int, Story]]) -> None:
        if not entries:
            return
        topic_rows = [
            {"story_id": story_id, "topic": t, "norm": t.casefold(), "published_at": when}
            for story_id, story in entries
            for when in [story.published_at.timestamp() if story.published_at else None]
            for t in story.topics
        ]
        if topic_rows:
            self.backend.bulk_insert(conn, story_topics, topic_rows)
        rows = [
            (story_id, s.title, s.excerpt, s.provider.name if s.provider else "", " ".join(s.topics))
            for story_id, s in entries
        ]
        self.search_backend.add(conn, rows, self.backend.bulk_insert)

    def _uncount(self, conn: Connection, rows: list[Any], catalog: CatalogDelta) -> None:
        """Take the stories' current state (rows of id, published, present, provider) out of the catalog."""
        live = {r.id: r for r in rows if r.published and r.present}
        tags: dict[int, list[tuple[str, str]]] = {i: [] for i in live}
        query = select(story_topics.c.story_id, story_topics.c.norm, story_topics.c.topic)
        for story_id, norm, topic in select_in(conn, query, story_topics.c.story_id, list(live)):
            tags[story_id].append((norm, topic))
        for story_id, r in live.items():
            catalog.add(True, r.provider, tags[story_id], -1)

    def _detach(
        self,
        conn: Connection,
        key: str,
        path: str,
        changes: list[StoryChange],
        result: ApplyResult,
        catalog: CatalogDelta,
    ) -> None:
        """``path`` no longer defines story ``key``: fall back to another file with it, or retire the story."""
        other = conn.scalar(
            select(files.c.path)
            .where(files.c.story_key == key, files.c.path != path, files.c.error.is_(None))
            .order_by(files.c.mtime_ns.desc())
            .limit(1)
        )
        if other:
            result.reparse.append(other)
            return
        row = conn.execute(
            select(
                stories.c.id,
                stories.c.published,
                stories.c.present,
                stories.c.fingerprint,
                stories.c.provider,
                stories.c.live_since,
            )
            .where(stories.c.key == key)
            .with_for_update()
        ).first()
        if row is None or not row.present:
            return
        self._uncount(conn, [row], catalog)
        conn.execute(update(stories).where(stories.c.id == row.id).values(present=False, updated_at=time.time()))
        conn.execute(delete(story_topics).where(story_topics.c.story_id == row.id))
        self.search_backend.remove(conn, [row.id])
        before = StoryBefore(bool(row.published), True, row.fingerprint, row.live_since)
        changes.append(StoryChange(row.id, before, None))

    def _upsert_files(self, conn: Connection, rows: list[dict[str, Any]], *, keep_story_key: bool) -> None:
        # A broken file keeps pointing at the story it defined before, which stays as it was.
        conn.execute(self._upsert_file_keep_key if keep_story_key else self._upsert_file, rows)


# A file's state, with the fingerprint of the story it defines (the reader then skips a rewrite that changed no data).
_FILE_STATE = select(
    files.c.path,
    files.c.mtime_ns,
    files.c.size,
    files.c.sha256,
    files.c.story_key,
    files.c.error,
    stories.c.fingerprint,
).select_from(
    files.outerjoin(
        stories, (stories.c.key == files.c.story_key) & (stories.c.path == files.c.path) & stories.c.present.is_(True)
    )
)


def _story_update(item: FileParsed, row: Any, now: float) -> dict[str, Any]:
    """An existing story's new values: it stays live since the moment it became live, or becomes live now."""
    values = story_values(item, now)
    if item.story.published and row.published and row.present and row.live_since is not None:
        values["live_since"] = row.live_since
    return values
