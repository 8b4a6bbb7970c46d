"""The feed pipeline: folder → store → per-channel send queues → a sink (Discord or the console)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.config import Config
from bot.personal.switch import follow_switch
from bot.pipeline_loops import PipelineLoops
from bot.render.listing import summarize_list
from bot.routes.planning import BackfillMode, post
from bot.routes.routing import RouteTable
from bot.send.gate import ChannelGate
from bot.send.kinds.base import Deliverer
from bot.send.queue import ChannelQueue, ClaimGuard, NullObserver, PipelineObserver, PostFinder
from bot.send.sinks import Sink
from bot.sharding import GuildDirectory, ShardPlan
from bot.store import Store
from bot.store.errors import StoreError
from bot.store.indexing import ApplyResult
from bot.store.meta_keys import MetaKey
from bot.store.store import DeliveryKey
from bot.stories.scanner import Progress, Scanner
from bot.stories.story import Story
from bot.stories.watcher import watch_folder

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
SHOWN_REJECTED = 5


class IngestRole(Protocol):
    """The cluster's one ingest role: returns once this process holds it (bot/cluster/locks.py)."""

    async def wait_ingest(self) -> None: ...


class Pipeline(PipelineLoops):
    """Owns the scanner, the watcher and the send queues. Its store work runs on the store's serial thread
    (``Store.run``), which keeps SQLite writes in order and the event loop free for Discord's heartbeats."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        retry_base: float = 1.0,
        shards: ShardPlan | None = None,
        guilds: GuildDirectory | None = None,
        metrics: Metrics | None = None,
        ingest: IngestRole | None = None,
        claims: ClaimGuard | None = None,
        notify: Callable[[list[int]], None] | None = None,
        dms_planned: asyncio.Event | None = None,
    ) -> None:
        """In a cluster (PostgreSQL), ``ingest`` gates the scanner, watcher and planning on the ingest role,
        ``claims`` keeps each row to one sender, and ``notify`` tells the other processes (blocking: it runs on
        a store thread) about channels they own that got new deliveries, for rows the planning transaction did not
        announce itself (``Store.on_planned``): held stories the embargo timer releases, or every row when the store
        has no such hook. Alone, none of these is needed."""
        self.config = config
        self.metrics = metrics  # None: metrics are off
        self._ingest = ingest
        self._claims = claims
        self._notify = notify
        self._dms_planned = dms_planned  # set when a change planned members' DMs (the DM sender waits on it)
        self._finder: PostFinder | None = None
        self._telling: set[asyncio.Task[None]] = set()
        # Which channels this process sends to: those of its shards' guilds (all of them when unsharded).
        self.shards = shards or ShardPlan()
        self.guilds = guilds or GuildDirectory()
        self._follow = follow_switch(config.personal.enabled, store, self.channel_guild)
        self._left: set[int] = set()
        self._retry_base = retry_base
        self.store = store
        self.newsroom = store.newsroom
        self.routes = RouteTable(config.channels, timezone=config.scheduler.timezone, topic_colors=config.topic_colors)
        self.observer: PipelineObserver = NullObserver()
        self.scanner = Scanner(
            config.articles.path,
            store,
            max_bytes=config.articles.max_file_bytes,
            channels_for=self.routes,
            on_unpublish=config.articles.on_unpublish,
        )
        self._queues: dict[int, ChannelQueue] = {}
        self._sink: Sink | None = None
        self._gate: ChannelGate | None = None
        self._deliverer: Deliverer | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._embargo = config.articles.embargo
        # Held rows dated up to this moment have been queued; the release timer queues the ones after it.
        self._released_until = 0.0
        self._rearm = asyncio.Event()  # something was planned: the release timer looks at the ledger again
        self._gone = asyncio.Event()  # a removal may be waiting out its grace: the retract timer looks again

    # -- routing ------------------------------------------------------------------------------------------

    def channels_for(self, story: Story) -> list[int]:
        return self.routes.channels_for(story)

    def channel_guild(self, channel_id: int) -> int | None:
        """The channel's guild, from the one directory (None: unknown)."""
        return self.guilds.guild_of(channel_id)

    def owns_channel(self, channel_id: int) -> bool:
        return self.shards.owns_channel(channel_id, self.channel_guild)

    def roles_for(self, channel_id: int, story: Story) -> list[int]:
        return self.routes.roles_for(channel_id, story, self.guilds.guild_of(channel_id))

    async def post_to_channel(self, channel_id: int, story_ids: Sequence[int]) -> int:
        """Queue chosen stories for one channel (admin requests); the ledger keeps it to once per channel."""
        keys = await self.db(self.store.ledger.record, [post(story_id, [channel_id]) for story_id in story_ids])
        self._enqueue(keys, notify=self._tell_planned)
        return len(keys)

    async def reload_routes(self) -> None:
        """Pick up routes and topic roles changed from Discord."""
        await self.db(self._load_routes)

    def _load_routes(self) -> None:
        self.routes.load(self.newsroom)
        # A route added from Discord names its server: the directory knows it from now on.
        self.guilds.learn_all(self.routes.guilds())

    # -- life cycle ---------------------------------------------------------------------------------------

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.store.run(fn, *args, **kwargs)

    async def start(
        self,
        sink: Sink,
        *,
        watch: bool = True,
        observer: PipelineObserver | None = None,
        gate: ChannelGate | None = None,
        deliverer: Deliverer | None = None,
        finder: PostFinder | None = None,
    ) -> None:
        """Catch up with the folder, resume unfinished deliveries, then watch for changes. ``deliverer`` knows
        Discord's channel kinds; without one every channel takes plain messages through ``sink``. ``finder``
        looks for a post already made before re-sending a row that was in flight when its sender died."""
        self._sink = sink
        self._finder = finder
        self._deliverer = deliverer
        self._gate = gate
        self.observer = observer or self.observer
        await self.db(self.store.set_meta, MetaKey.STARTED, str(time.time()))
        await self.reload_routes()
        if watch:
            # Only a watching process waits out flickers; a one-shot run records what it finds.
            self.scanner.delete_grace = self.config.articles.delete_grace
        if self._ingest is None:
            result = await self.db(self.initial_sync)
            self.observer.files_rejected(result.rejected)
        else:
            self._tasks.append(asyncio.create_task(self._ingest_when_held(watch), name="ingest"))
            self._tasks.append(asyncio.create_task(self._sweep_forever(), name="claim-sweep"))
        now = time.time()
        pending = await self.db(self.store.ledger.pending, now if self._embargo else None)
        self._released_until = now
        if self._embargo:
            # Looked up before the queues start, so the timer adds no store work ahead of the first sends.
            upcoming = await self.db(self.store.ledger.next_release, now)
            self._tasks.append(asyncio.create_task(self._release_forever(upcoming), name="embargo-release"))
        self._enqueue(pending, rearm=False, notify=False)
        if self.metrics is not None:
            self.metrics.follow(indexed=self._count_indexed, queues=self.queue_depths)
        if watch and self._ingest is None:
            self._watch()
        counts = await self.db(self.store.counts)
        rejected = await self.db(self.store.rejected_files, SHOWN_REJECTED) if counts["rejected"] else []
        named = summarize_list([path for path, _ in rejected], SHOWN_REJECTED, total=counts["rejected"])
        log.info(
            "Watching %s: %d stories indexed, %d published, %d files rejected%s, %d deliveries pending",
            self.scanner.root,
            counts["stories"],
            counts["published"],
            counts["rejected"],
            f" ({named})" if named else "",
            counts["pending"],
        )

    def _watch(self) -> None:
        self._tasks += [
            asyncio.create_task(self._retract_forever(), name="retract-removed"),
            asyncio.create_task(
                watch_folder(self.scanner.root, self._on_change, self._stop, step_ms=self.config.articles.debounce_ms),
                name="watch-folder",
            ),
            asyncio.create_task(self._rescan_forever(), name="rescan"),
        ]

    async def _ingest_when_held(self, watch: bool) -> None:
        """The ingest side (catch up with the folder, plan, watch) runs only while this process holds the ingest
        role; losing it drops the lock connection and with it the shards, and the process exits (bot/cli/run.py)."""
        assert self._ingest is not None
        await self._ingest.wait_ingest()
        if watch:
            # Watching before the catch-up scan: a file saved while it runs is seen by one or the other.
            self._watch()
            await asyncio.sleep(0)  # the watch task sets up its inotify watches up to its first await
        try:
            result = await self.db(self.initial_sync)
        except Exception:
            log.exception("The first scan of %s failed; the periodic rescan will retry", self.scanner.root)
        else:
            self.observer.files_rejected(result.rejected)
            self._enqueue(result.pending, notify=self._tell_planned)
        log.info("Holding the ingest role: indexing and watching %s", self.scanner.root)

    @property
    def _tell_planned(self) -> bool:
        """Whether rows just planned still need a NOTIFY: not when the planning transaction sent it."""
        return not self.store.announces_plans

    async def notified(self, keys: Sequence[DeliveryKey], channel_ids: Sequence[int]) -> None:
        """A NOTIFY named these rows and channels: queue the ones this process sends to. Named rows go straight to
        their queues (the claim reads each row anyway); named channels have their pending rows looked up."""
        if self._sink is None:
            return
        self._enqueue([k for k in keys if self.owns_channel(k[1])], rearm=False, notify=False)
        if channel_ids:
            await self.wake(channel_ids)

    async def wake(self, channel_ids: Iterable[int] | None) -> None:
        """Queue the pending rows of ``channel_ids`` (all channels: None) that this process sends to."""
        if self._sink is None:
            return
        wanted = None if channel_ids is None else {c for c in channel_ids if self.owns_channel(c)}
        if wanted is not None and not wanted:
            return  # none of them is ours: no need to read the ledger
        try:
            pending = await self.db(self.store.ledger.pending, time.time() if self._embargo else None)
        except StoreError as exc:
            log.warning("Could not look for pending deliveries: %s", exc)
            return
        self._enqueue([k for k in pending if wanted is None or k[1] in wanted], rearm=False, notify=False)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(q.stop() for q in self._queues.values()))
        if self._deliverer is not None:
            await self._deliverer.close()

    async def drain(self) -> None:
        """Wait until every queued delivery has been handled (tests and one-shot runs)."""
        await asyncio.gather(*(q.join() for q in self._queues.values()))

    def initial_sync(self, progress: Progress | None = None) -> ApplyResult:
        """Index what changed while we were down. The very first run indexes silently and then posts only
        what ``articles.backfill`` asks for, so adding the bot to a server never floods it."""
        first_run = self.store.get_meta(MetaKey.INITIALIZED) is None
        if not first_run:
            self._begin_routes()  # before the scan: what it finds live is new to a route added to the config
        result, report = self.scanner.reconcile(announce=not first_run, progress=progress)
        self._record_scan(report)
        log.info(
            "Scanned %d files in %.2fs: %d parsed, %d rejected, %d removed",
            report.files,
            report.seconds,
            report.parsed,
            report.failed,
            report.removed,
        )
        if first_run:
            backfill = self.config.articles.backfill
            now = time.time()
            chosen: list[tuple[int, Story]] = []
            if backfill.mode is not BackfillMode.NONE:
                limit = backfill.count if backfill.mode is BackfillMode.LATEST else None
                # Under embargo the backfill counts only released stories ...
                chosen = self.store.latest_published(limit, until=now if self._embargo else None)
            if self._embargo:
                # ... and every story still held is planned too: it was never out, so it posts at its release.
                chosen += self.store.latest_published(None, after=now)
            if chosen:
                result.pending += self.store.ledger.record([post(i, self.channels_for(s)) for i, s in chosen])
            self.store.set_meta(MetaKey.INITIALIZED, str(time.time()))
            self._begin_routes()  # after it: the folder as first indexed is every route's archive
            log.info(
                "First run: indexed the folder silently; backfill %s",
                f"latest:{backfill.count}" if backfill.mode is BackfillMode.LATEST else str(backfill.mode),
            )
        return result

    def _begin_routes(self) -> None:
        """Config routes begin the first time the bot runs with them: stories live before that are their archive."""
        at = time.time()
        if self.store.get_meta(MetaKey.ROUTES_BEGUN) is None:
            # A database from before route starts were kept: its config routes began with its first run.
            initialized = self.store.get_meta(MetaKey.INITIALIZED)
            at = float(initialized) if initialized else at
        self.newsroom.start_routes([route.channel_id for route in self.config.channels], at)
        self.store.set_meta(MetaKey.ROUTES_BEGUN, "1")
        self._load_routes()

    # -- events -------------------------------------------------------------------------------------------

    async def _on_change(self, paths: set[str]) -> None:
        try:
            result = await self.db(self.scanner.process_paths, sorted(paths))
        except Exception:
            log.exception("Could not process changes to %s; the next rescan will retry", ", ".join(sorted(paths)))
            return
        self.observer.files_rejected(result.rejected)
        self._enqueue(result.pending, notify=self._tell_planned)
        if result.dms and self._dms_planned is not None:
            self._dms_planned.set()
        self._rearm.set()  # a story's date may have moved
        self._gone.set()

    def _enqueue(self, keys: Iterable[DeliveryKey], *, rearm: bool = True, notify: bool = True) -> None:
        assert self._sink is not None, "start() first"
        keys = list(keys)
        if rearm and keys:
            self._rearm.set()
        foreign = {c for _, c in keys if c not in self._queues and not self.owns_channel(c)}
        if notify and foreign and self._notify is not None:
            # Told before our own queues start: their claims would otherwise fill the store's side threads ahead
            # of the NOTIFY, and the other shards' processes would start sending a second later (bench_fanout).
            task = asyncio.create_task(self._tell(sorted(foreign)), name="notify-deliveries")
            self._telling.add(task)  # a reference until done, so the task is not collected mid-flight
            task.add_done_callback(self._telling.discard)
        for story_id, channel_id in keys:
            queue = self._queues.get(channel_id)
            if queue is None and channel_id in foreign:
                # Another shard's process sends these; the rows stay pending in the ledger for it.
                if channel_id not in self._left:
                    self._left.add(channel_id)
                    log.info(
                        "Channel %s is in guild %s on shard %s, not ours (%s): its deliveries are left to that process",
                        channel_id,
                        self.channel_guild(channel_id),
                        self.shards.shard_of(self.channel_guild(channel_id) or 0),
                        self.shards.describe(),
                    )
                continue
            if queue is None:
                queue = ChannelQueue(
                    channel_id,
                    store=self.store,
                    db=self.db,
                    sink=self._sink,
                    roles_for=self.roles_for,
                    look_for=self.routes.look_for,
                    base_backoff=self._retry_base,
                    observer=self.observer,
                    gate=self._gate,
                    deliverer=self._deliverer,
                    embargo=self._embargo,
                    metrics=self.metrics,
                    claims=self._claims,
                    finder=self._finder,
                    follow=self._follow,
                )
                self._queues[channel_id] = queue
                queue.start()
            queue.put(story_id)

    async def _tell(self, channel_ids: list[int]) -> None:
        assert self._notify is not None
        try:
            await self.store.run_concurrent(self._notify, channel_ids)
        except StoreError as exc:
            # The others' periodic claim picks these rows up within SWEEP_SECONDS anyway.
            log.warning("Could not notify the other processes about channels %s: %s", channel_ids, exc)

    def queue_stats(self) -> Sequence[tuple[int, int, int, int]]:
        """(channel, backlog, sent, failed) per send queue."""
        return [(q.channel_id, q.backlog, q.sent, q.failed) for q in self._queues.values()]

    def queue_depths(self) -> dict[str, int]:
        """Queued deliveries per shard of this process (``all`` when unsharded), for the queue-depth gauge."""
        depths = {str(n): 0 for n in self.shards.shard_ids} if self.shards.sharded else {"all": 0}
        for q in self._queues.values():
            guild = self.channel_guild(q.channel_id)
            shard = str(self.shards.shard_of(guild or 0)) if self.shards.sharded else "all"
            depths[shard] = depths.get(shard, 0) + q.backlog
        return depths

    async def _count_indexed(self) -> int:
        return (await self.store.run_concurrent(self.store.counts))["stories"]
