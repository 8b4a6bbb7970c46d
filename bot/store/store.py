"""The store: story index, full-text index, file states and the delivery ledger, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.routes.planning import Action, Planner, StoryBefore, StoryChange
from bot.store import ledger, migrate
from bot.store.backends import Backend, backend_for
from bot.store.backends.sqlite_rank import DocFrequencies
from bot.store.batch_sql import (
    DELETE_TOPICS,
    SMALL_BATCH,
    TOUCH_FILE,
    UPDATE_STORY,
    database_url,
    file_values,
    insert_story_statement,
    numbered,
    select_in,
    story_values,
    upsert_file_statement,
    upsert_files_previous,
)
from bot.store.catalog import CatalogDelta
from bot.store.digest_tables import JOBS_TABLE
from bot.store.errors import StorageError
from bot.store.records import (
    Delivery,
    DeliveryState,
    FileFailed,
    FileParsed,
    FileRemoved,
    FileState,
    FileTouched,
    HeldStory,
    ScanItem,
)
from bot.store.schema import PENDING_STATES, deliveries, files, meta, stories, story_topics
from bot.store.search_queries import SearchQueries
from bot.stories.story import Story

log = logging.getLogger(__name__)

T = TypeVar("T")
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


class Store:
    """The one way into the database. Async code never opens connections or threads of its own: it hands a
    function of the store's synchronous API to ``run`` or ``run_concurrent``, which run it on the store's threads.
    """

    def __init__(self, engine: Engine, *, concurrency: int = 4) -> None:
        self.engine = engine  # only bot/store/ uses it
        self.backend: Backend = backend_for(engine.dialect.name)
        self._upsert_file = upsert_file_statement(keep_story_key=False)
        self._upsert_file_keep_key = upsert_file_statement(keep_story_key=True)
        self._insert_story = insert_story_statement()
        # The feed (scans and the delivery ledger) runs on one thread, in order: SQLite writes stay serial and
        # the event loop stays free for Discord's heartbeats.
        self._serial = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-store")
        # Commands, search, alerts and digests are short and must not wait behind a scan of a large folder;
        # WAL lets them read beside it.
        self._concurrent = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="newsdesk-store-side")
        # Search's word counts (SQLite's ranking window), kept between searches.
        self._doc_freq = DocFrequencies()
        # Cluster: called inside each planning transaction with the rows it made pending, so a NOTIFY sent there
        # reaches the other processes the moment the rows are committed (bot/cluster/notify.py ``notify_planned``).
        self.on_planned: Callable[[Connection, list[DeliveryKey]], None] | None = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the store's serial thread, after everything handed in before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._serial, functools.partial(fn, *args, **kwargs))

    async def run_concurrent(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on one of the store's side threads: for short work that must not queue behind a scan."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._concurrent, functools.partial(fn, *args, **kwargs))

    @property
    def single_process(self) -> bool:
        """SQLite: one process owns the file (a lock file enforces it); what an earlier id left, a dead one left."""
        return self.backend.name == "sqlite"

    def job_store(self, tablename: str = JOBS_TABLE) -> SQLAlchemyJobStore:
        """APScheduler's persistent job store, in this database (one table per shard set, see digest jobs)."""
        return SQLAlchemyJobStore(engine=self.engine, tablename=tablename)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        """Open the database named by ``storage.url`` and bring its schema up to date (creating it if needed);
        every failure at open becomes one :class:`StorageError`, with the password masked."""
        parsed = database_url(url)
        try:
            backend = backend_for(parsed.get_backend_name())
        except ValueError as exc:
            raise StorageError(url, url, str(exc)) from None
        try:
            engine = backend.create_engine(parsed)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise StorageError(url, *backend.describe_failure(parsed, exc)) from exc
        try:
            if upgrade:
                migrate.upgrade(engine)
            else:
                engine.connect().close()
        except migrate.MigrationError as exc:
            engine.dispose()
            raise StorageError(url, parsed.database or url, str(exc)) from None
        except (SQLAlchemyError, OSError) as exc:
            engine.dispose()
            raise StorageError(url, *backend.describe_failure(parsed, exc)) from exc
        return cls(engine)

    @contextlib.contextmanager
    def searching(self) -> Iterator[SearchQueries]:
        """One connection for the few statements of one search."""
        with self.engine.connect() as conn:
            yield SearchQueries(conn, self._doc_freq)

    def close(self) -> None:
        """Wait for work handed to the store's threads, then close the database."""
        self._serial.shutdown(wait=True)
        self._concurrent.shutdown(wait=True)
        # No PRAGMA optimize/ANALYZE here: the search queries are tuned for (and measured with) SQLite's default
        # planning; with sqlite_stat1 present, full-text search picked slower plans (p99 12 ms -> 36 ms at 100k).
        self.engine.dispose()

    # -- meta ---------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.key == key))

    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            stmt = self.backend.insert(meta).values(key=key, value=value)
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    # -- indexing -----------------------------------------------------------------------------------------

    def file_stats(self) -> dict[str, tuple[int, int]]:
        """path -> (mtime_ns, size) of every known file: all a no-change rescan needs, and cheap to load."""
        with self.engine.connect() as conn:
            cursor = conn.exec_driver_sql("SELECT path, mtime_ns, size FROM files")
            return {path: (mtime, size) for path, mtime, size in cursor}

    def file_states(self, paths: list[str]) -> dict[str, FileState]:
        query = select(files.c.path, files.c.mtime_ns, files.c.size, files.c.sha256, files.c.story_key, files.c.error)
        with self.engine.connect() as conn:
            return {r[0]: FileState(r[1], r[2], r[3], r[4], r[5]) for r in select_in(conn, query, files.c.path, paths)}

    @contextlib.contextmanager
    def one_statement(self) -> Iterator[Connection]:
        """A connection for a single statement (read or write), committed at the end. On PostgreSQL it runs
        without a transaction around it (the backend's ``single_statement_options``): one round trip, not three."""
        with self.engine.connect() as conn:
            conn.execution_options(**self.backend.single_statement_options)
            yield conn
            conn.commit()

    def file_state(self, path: str) -> FileState | None:
        with self.one_statement() as conn:
            r = conn.execute(
                select(files.c.mtime_ns, files.c.size, files.c.sha256, files.c.story_key, files.c.error).where(
                    files.c.path == path
                )
            ).first()
            return FileState(*r) if r else None

    def apply(self, items: Sequence[ScanItem], planner: Planner) -> ApplyResult:
        """Record a batch of scan results in one transaction, and in it the ledger actions ``planner`` decides.

        Parsed files go first so that a rename (new path, then old path removed) never looks like the story
        vanishing. The planner sees each touched story's state before the batch and after it.
        """
        result = ApplyResult()
        now = time.time()
        changes: list[StoryChange] = []
        catalog = CatalogDelta()
        parsed = [i for i in items if isinstance(i, FileParsed)]
        with self.engine.begin() as conn:
            if parsed:
                self._apply_parsed(conn, parsed, now, changes, result, catalog)
            touched = [i for i in items if isinstance(i, FileTouched)]
            if touched:
                conn.execute(
                    TOUCH_FILE,
                    [{"p": i.path, "mtime_ns": i.mtime_ns, "size": i.size, "checked_at": now} for i in touched],
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
            catalog.write(conn)
            if changes:
                # Only the ledger's deliveries table is written from here on, so planning after all the story
                # writes of the batch records the same as planning story by story would.
                # A story new in this batch (no state before it) has no ledger rows yet: none are read for it.
                new = {c.story_id for c in changes if c.before is None}
                planned = ledger.record(conn, planner(changes, ledger.LedgerReads(conn)), new_stories=new)
                self._announce(conn, planned)
                result.pending += planned
        return result

    def _announce(self, conn: Connection, keys: list[DeliveryKey]) -> None:
        if keys and self.on_planned is not None:
            self.on_planned(conn, keys)

    @property
    def announces_plans(self) -> bool:
        """Whether planning transactions tell the other processes themselves (see ``on_planned``)."""
        return self.on_planned is not None

    def _apply_parsed(
        self,
        conn: Connection,
        items: list[FileParsed],
        now: float,
        changes: list[StoryChange],
        result: ApplyResult,
        catalog: CatalogDelta,
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

        latest = {i.story.key: i for i in items}  # two files, one story: the one processed last wins
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
                    stories.c.published,
                    stories.c.present,
                    stories.c.fingerprint,
                    stories.c.provider,
                ).with_for_update(),
                stories.c.key,
                [k for k in latest if k not in ids],
            )
        }
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
            conn.execute(UPDATE_STORY, [story_values(i, now) | {"sid": ids[i.story.key]} for i in existing])
            stale = [{"sid": ids[i.story.key]} for i in existing]
            conn.execute(DELETE_TOPICS, stale)
            self.backend.search_remove(conn, [r["sid"] for r in stale])
        self._index(conn, [(ids[key], i.story) for key, i in latest.items()])

        for key, item in latest.items():
            catalog.add_story(item.story, +1)
            row = old.get(key)
            before = StoryBefore(bool(row.published), bool(row.present), row.fingerprint) if row else None
            changes.append(StoryChange(ids[key], before, item.story, item.fingerprint))
        for path, previous_key in previous:
            if previous_key and previous_key not in latest:
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
        topic_rows = [
            {"story_id": story_id, "topic": t, "norm": t.casefold(), "published_at": when}
            for story_id, story in entries
            for when in [story.published_at.timestamp() if story.published_at else None]
            for t in story.topics
        ]
        if topic_rows:
            self.backend.bulk_insert(conn, story_topics, topic_rows)
        self.backend.search_add(
            conn,
            [
                (story_id, s.title, s.excerpt, s.provider.name if s.provider else "", " ".join(s.topics))
                for story_id, s in entries
            ],
        )

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
            select(stories.c.id, stories.c.published, stories.c.present, stories.c.fingerprint, stories.c.provider)
            .where(stories.c.key == key)
            .with_for_update()
        ).first()
        if row is None or not row.present:
            return
        self._uncount(conn, [row], catalog)
        conn.execute(update(stories).where(stories.c.id == row.id).values(present=False, updated_at=time.time()))
        conn.execute(delete(story_topics).where(story_topics.c.story_id == row.id))
        self.backend.search_remove(conn, [row.id])
        changes.append(StoryChange(row.id, StoryBefore(bool(row.published), True, row.fingerprint), None))

    def _upsert_files(self, conn: Connection, rows: list[dict[str, Any]], *, keep_story_key: bool) -> None:
        # A broken file keeps pointing at the story it defined before, which stays as it was.
        conn.execute(self._upsert_file_keep_key if keep_story_key else self._upsert_file, rows)

    def latest_published(
        self, limit: int | None, *, until: float | None = None, after: float | None = None
    ) -> list[tuple[int, Story]]:
        """The ``limit`` newest published stories (None = all) dated up to ``until`` (undated count) or after
        ``after``, oldest first: the first run's backfill, and the stories it holds for later."""
        query = (
            select(stories.c.id, stories.c.data)
            .where(stories.c.present.is_(True), stories.c.published.is_(True))
            .order_by(stories.c.published_at.desc().nulls_last(), stories.c.id.desc())
        )
        if until is not None:
            query = query.where(func.coalesce(stories.c.published_at, 0) <= until)
        if after is not None:
            query = query.where(stories.c.published_at > after)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        # Oldest first, so the channel reads in order.
        return [(row.id, Story.from_dict(json.loads(row.data))) for row in reversed(rows)]

    def posts_since(self, channel_id: int, since: float) -> int:
        """Posts planned to a channel since ``since`` (a route's daily_cap; ``/feed explain``)."""
        with self.engine.connect() as conn:
            return ledger.posts_since(conn, channel_id, since)

    def record_actions(self, actions: Sequence[Action]) -> list[DeliveryKey]:
        """Record actions decided outside a scan (backfill, posts on request) in one transaction."""
        with self.engine.begin() as conn:
            keys = ledger.record(conn, actions)
            self._announce(conn, keys)
            return keys

    # -- deliveries ---------------------------------------------------------------------------------------

    def pending_deliveries(self, now: float | None = None) -> list[DeliveryKey]:
        """Rows to act on; with ``now`` (embargo on), rows held until their story's date are left out."""
        with self.one_statement() as conn:
            return ledger.pending(conn, now)

    def released_deliveries(self, after: float, now: float) -> list[DeliveryKey]:
        with self.engine.connect() as conn:
            return ledger.released(conn, after, now)

    def next_release(self, now: float) -> float | None:
        with self.engine.connect() as conn:
            return ledger.next_release(conn, now)

    def held_stories(self, now: float) -> list[HeldStory]:
        with self.engine.connect() as conn:
            return ledger.held(conn, now)

    def delivery(self, key: DeliveryKey) -> Delivery | None:
        with self.one_statement() as conn:
            return ledger.read(conn, key)

    def settle(self, d: Delivery, state: DeliveryState, **values: object) -> None:
        with self.one_statement() as conn:
            ledger.settle(conn, (d.story_id, d.channel_id), d.version, state, **values)

    def record_attempt(self, d: Delivery, error: str) -> None:
        with self.one_statement() as conn:
            ledger.record_attempt(conn, (d.story_id, d.channel_id), error)

    def max_message_id(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.max(deliveries.c.message_id))) or 0

    def message_title(self, channel_id: int, message_id: int) -> str | None:
        """The title of the story a message was posted for (console mode names a deleted card with it)."""
        with self.engine.connect() as conn:
            return conn.scalar(
                select(stories.c.title)
                .join(deliveries, deliveries.c.story_id == stories.c.id)
                .where(deliveries.c.channel_id == channel_id, deliveries.c.message_id == message_id)
                .limit(1)
            )

    def delivery_states(self, story_key: str) -> dict[int, tuple[str, int | None]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.channel_id, deliveries.c.state, deliveries.c.message_id)
                .join(stories, stories.c.id == deliveries.c.story_id)
                .where(stories.c.key == story_key)
            )
            return {r.channel_id: (r.state, r.message_id) for r in rows}

    # -- reading ------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            live = stories.c.present.is_(True)
            return {
                "stories": conn.scalar(select(func.count()).where(live)) or 0,
                "published": conn.scalar(select(func.count()).where(live, stories.c.published.is_(True))) or 0,
                "rejected": conn.scalar(select(func.count()).where(files.c.error.is_not(None))) or 0,
                "pending": conn.scalar(select(func.count()).where(deliveries.c.state.in_(PENDING_STATES))) or 0,
                # Stories over a route's daily_cap: never posted (they stay out of the channel).
                "capped": conn.scalar(select(func.count()).where(deliveries.c.state == DeliveryState.CAPPED)) or 0,
            }

    def rejected_files(self, limit: int = 50) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(files.c.path, files.c.error)
                .where(files.c.error.is_not(None))
                .order_by(files.c.path)
                .limit(limit)
            )
            return [(r.path, r.error) for r in rows]
