"""The store: story index, full-text index, file states and the delivery ledger, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import (
    Connection,
    Engine,
    func,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.redact import mask_password
from bot.search.backend import SearchBackend, search_backend_for
from bot.search.queries import SearchQueries
from bot.search.sqlite_rank import DocFrequencies
from bot.store import ledger, migrate
from bot.store.backends import Backend, backend_for
from bot.store.batch_sql import (
    database_url,
    insert_story_statement,
    upsert_file_statement,
)
from bot.store.channel_guilds import ChannelGuildStore
from bot.store.chart_data import ChartDataStore
from bot.store.cluster import ClusterStore
from bot.store.database import Database
from bot.store.deliveries import Ledger
from bot.store.digest_tables import JOBS_TABLE
from bot.store.digests import DigestStore
from bot.store.dm_ledger import DmLedger
from bot.store.errors import StorageError, wrap_errors
from bot.store.follows import FollowStore
from bot.store.indexing import Indexing
from bot.store.newsroom import NewsroomStore
from bot.store.personal_stats import PersonalStats
from bot.store.records import (
    DeliveryState,
)
from bot.store.schema import PENDING_STATES, deliveries, files, meta, stories
from bot.store.signal_reads import SignalReads
from bot.store.signals import SignalStore
from bot.store.webhooks import WebhookStore
from bot.stories.story import Story

log = logging.getLogger(__name__)

T = TypeVar("T")
DeliveryKey = ledger.DeliveryKey


class Store(Indexing):
    """The one way into the database. Async code never opens connections or threads of its own: it hands a
    function of the store's synchronous API to ``run`` or ``run_concurrent``, which run it on the store's threads.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        concurrency: int = 4,
        on_planned: Callable[[Connection, list[DeliveryKey]], None] | None = None,
        plans_dms: bool = False,
        dm_embargo: bool = False,
    ) -> None:
        self.engine = engine  # only bot/store/ uses it
        self.backend: Backend = backend_for(engine.dialect.name)
        self.db = Database(engine, self.backend)
        # The search engine's full-text index, written by indexing in the same transaction as the stories.
        self.search_backend: SearchBackend = search_backend_for(engine.dialect.name)
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
        # reaches the other processes the moment the rows are committed (bot/store/notices.py ``notify_planned``).
        self.on_planned = on_planned
        # Members' follows get their DM rows planned in the same transaction as the story (bot/store/dm_planning.py):
        # the bot in Discord mode; off by default, so tools and console mode never read the follows.
        self.plans_dms = plans_dms
        self.dm_embargo = dm_embargo  # a story dated in the future reaches members at its date (articles.embargo)
        self._duplicates_told: set[frozenset[str]] = set()  # file pairs with one webUrl, warned about once
        # The parts, built once: callers reach them as store.ledger, store.newsroom, ... and never build their own.
        self.ledger = Ledger(self.db, self._announce)
        self.newsroom = NewsroomStore(self.db)
        self.cluster = ClusterStore(self.db)
        self.digests = DigestStore(self.db)
        self.webhooks = WebhookStore(self.db)
        self.channel_guilds = ChannelGuildStore(self.db)
        self.follows = FollowStore(self.db)
        self.personal_stats = PersonalStats(self.db)
        self.signals = SignalStore(self.db)
        self.signal_reads = SignalReads(self.db)
        self.chart_data = ChartDataStore(self.db)
        self.dm_ledger = DmLedger(self.db)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the store's serial thread, after everything handed in before it."""
        loop = asyncio.get_running_loop()
        with wrap_errors():
            return await loop.run_in_executor(self._serial, functools.partial(fn, *args, **kwargs))

    async def run_concurrent(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on one of the store's side threads: for short work that must not queue behind a scan."""
        loop = asyncio.get_running_loop()
        with wrap_errors():
            return await loop.run_in_executor(self._concurrent, functools.partial(fn, *args, **kwargs))

    def _announce(self, conn: Connection, keys: list[DeliveryKey]) -> None:
        if keys and self.on_planned is not None:
            self.on_planned(conn, keys)

    @property
    def announces_plans(self) -> bool:
        """Whether planning transactions tell the other processes themselves (see ``on_planned``)."""
        return self.on_planned is not None

    @property
    def single_process(self) -> bool:
        """SQLite: one process owns the file (a lock file enforces it); what an earlier id left, a dead one left."""
        return self.backend.name == "sqlite"

    def job_store(self, tablename: str = JOBS_TABLE) -> SQLAlchemyJobStore:
        """APScheduler's persistent job store, in this database (one table per shard set, see digest jobs)."""
        return SQLAlchemyJobStore(engine=self.engine, tablename=tablename)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        upgrade: bool = True,
        on_planned: Callable[[Connection, list[DeliveryKey]], None] | None = None,
        plans_dms: bool = False,
        dm_embargo: bool = False,
    ) -> Store:
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
        return cls(engine, on_planned=on_planned, plans_dms=plans_dms, dm_embargo=dm_embargo)

    def upgrade(self, url: str) -> tuple[str | None, migrate.Upgrade]:
        """``newsdesk migrate``: bring the schema to this release; (the revision before, what the upgrade did).
        A failure is one :class:`StorageError` naming ``storage.url`` (``url``, masked)."""
        try:
            # The raw engine: a failure here is StorageError (as at open), not the running store's StoreError.
            with self.engine.connect() as conn:
                before = migrate.current(conn)
            return before, migrate.upgrade(self.engine, announce=False)  # the command says it, once
        except migrate.MigrationError as exc:
            raise StorageError(url, mask_password(url), str(exc)) from None
        except SQLAlchemyError as exc:
            raise StorageError(url, *self.backend.describe_failure(self.engine.url, exc)) from exc

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
        with self.db.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.key == key))

    def set_meta(self, key: str, value: str) -> None:
        with self.db.begin() as conn:
            stmt = self.backend.insert(meta).values(key=key, value=value)
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

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
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        # Oldest first, so the channel reads in order.
        return [(row.id, Story.from_dict(json.loads(row.data))) for row in reversed(rows)]

    # -- reading ------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.db.connect() as conn:
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
        with self.db.connect() as conn:
            rows = conn.execute(
                select(files.c.path, files.c.error)
                .where(files.c.error.is_not(None))
                .order_by(files.c.path)
                .limit(limit)
            )
            return [(r.path, r.error) for r in rows]
