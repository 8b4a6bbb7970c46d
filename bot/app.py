"""One place wires the app: every service is built here, once, and handed to the constructors that use it.

``open_core`` builds the Discord-free core: the channel→guild directory (before the store, whose planning hook
asks it which channels are ours), the store, metrics, cluster membership and the pipeline. ``make_bot`` builds
the Discord client on that core; the client's constructor calls ``feed_services`` with itself for what runs on
its HTTP client (the sink, the alerter, the channel gate, the per-kind deliverer, the adopter, the digest
runner). ``sync_bot`` is the client without them: ``newsdesk sync`` only publishes the command tree.

discord.py is imported only by the functions that need it: console mode never loads it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import yarl

from bot.alerts import Alerter, channel_unusable
from bot.cluster.adopt import Adopter
from bot.cluster.claims import Claims
from bot.cluster.fairshare import TokenBucket, fair_burst, joining_share, pace_session
from bot.cluster.locks import RoleLocks, libpq_dsn, wanted_roles
from bot.cluster.membership import Membership
from bot.config import Config, KindOptions
from bot.digest.jobs import jobs_table, make_scheduler
from bot.digest.runner import DigestRunner
from bot.metrics import Metrics
from bot.personal.dm_queue import DmSender
from bot.pipeline import Pipeline
from bot.send.gate import ChannelGate
from bot.sharding import GuildDirectory, GuildOf, ShardPlan
from bot.signal.counter import SignalCounter
from bot.signal.reconcile import Reconciler
from bot.status import channel_names
from bot.store import Store
from bot.store.batch_sql import database_url
from bot.store.meta_keys import MetaKey
from bot.store.notices import notify_planned
from bot.weekly.runner import WeeklyReporter

if TYPE_CHECKING:
    from collections.abc import Callable

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.newsbot import NewsBot
    from bot.send.discord_sink import DiscordSink
    from bot.send.kinds.deliverer import KindDeliverer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Core:
    """The Discord-free services of one process; console mode runs on these alone."""

    config: Config
    store: Store
    guilds: GuildDirectory
    shards: ShardPlan
    metrics: Metrics | None  # None: metrics are off
    locks: RoleLocks | None  # PostgreSQL: the advisory locks of this process's roles
    bucket: TokenBucket | None  # Discord mode: this process's share of the bot's global rate limit
    membership: Membership
    pipeline: Pipeline
    dms_planned: asyncio.Event  # set by the pipeline when a batch planned members' DMs: the DM sender looks


@dataclass(frozen=True, slots=True)
class Feed:
    """What runs on the bot's HTTP client, built once by ``feed_services`` and used by the cogs."""

    pipeline: Pipeline
    sink: DiscordSink
    alerter: Alerter
    gate: ChannelGate
    deliverer: KindDeliverer
    adopter: Adopter
    digests: DigestRunner
    scheduler: AsyncIOScheduler
    signals: SignalCounter  # reactions and replies on the posts, from gateway events (cogs/signal)
    reconciler: Reconciler  # their counts set from Discord's after a gap
    dms: DmSender | None  # members' DMs (None: personal.enabled is off)
    weekly: WeeklyReporter  # the Monday report to the alerts channels (cogs/weekly runs its job)


async def open_core(config: Config, *, discord: bool, ingest: bool = True) -> Core:
    """The store and everything built on it. ``discord`` False is console mode: every channel is printed, so
    no shards, locks or rate-limit share. Without ``ingest`` (``--no-ingest``) the process only sends."""
    shards = config.discord.shards if discord else ShardPlan()
    locks = role_locks(config, shards, ingest=ingest) if discord else None
    guilds = GuildDirectory()
    on_planned = None
    if locks is not None:
        # Planning NOTIFYs inside its own transaction: the others hear of the rows the moment they are committed.
        # Rows of our own channels are left out: our pipeline queues them itself.
        ours = functools.partial(_owns, shards, guilds.guild_of)
        on_planned = functools.partial(notify_planned, ours=ours)
    # Console mode has no members to DM: no DM rows are planned there (bot/store/dm_planning.py).
    store = Store.open(
        config.storage_url,
        on_planned=on_planned,
        plans_dms=discord and config.personal.enabled,
        dm_embargo=config.articles.embargo,
    )
    dms_planned = asyncio.Event()
    try:
        guilds.learn_all(await store.run_concurrent(known_guilds, config, store))
        metrics = Metrics() if config.metrics.enabled else None
        # The joining share until the first heartbeat has counted the members (bot/cluster/membership.py).
        bucket = TokenBucket(joining_share(), burst_for=fair_burst) if discord else None
        membership = Membership(store, shards, every=config.heartbeat_seconds, locks=locks, bucket=bucket)
        if metrics is not None:
            metrics.follow(roles=membership.role_names)
        # On PostgreSQL every send is claimed in the ledger. SQLite is one process (its lock file): no claims,
        # which would cost two writes per post; a row an earlier attempt left unsettled is looked for first.
        claims = Claims(store.cluster, membership.member_id, store.run_concurrent) if locks is not None else None
        pipeline = Pipeline(
            config,
            store,
            shards=shards,
            guilds=guilds,
            metrics=metrics,
            ingest=locks,
            claims=claims,
            notify=store.cluster.notify if locks is not None else None,
            dms_planned=dms_planned,
        )
    except BaseException:
        store.close()
        raise
    return Core(config, store, guilds, shards, metrics, locks, bucket, membership, pipeline, dms_planned)


def _owns(shards: ShardPlan, guild_of: GuildOf, channel_id: int) -> bool:
    return shards.owns_channel(channel_id, guild_of)


def known_guilds(config: Config, store: Store) -> dict[int, int]:
    """Channel → guild from the database, the config's ``guild:`` entries and the ``/feed add`` routes (which
    recorded their guild); the declared ones are stored too, so every process of the bot reads them."""
    stored = store.channel_guilds
    known = stored.all()
    declared = {r.channel_id: r.guild_id for r in config.channels if r.guild_id is not None}
    declared |= {r.channel_id: r.guild_id for r in store.newsroom.routes()}
    stored.remember({c: g for c, g in declared.items() if known.get(c) != g})
    return known | declared


def role_locks(config: Config, shards: ShardPlan, *, ingest: bool = True) -> RoleLocks | None:
    """On PostgreSQL every role is an advisory lock (bot/cluster/locks.py); SQLite has its lock file instead."""
    parsed = database_url(config.storage_url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return RoleLocks(libpq_dsn(parsed), wanted_roles(shards.shard_ids, ingest=ingest))


def make_bot(core: Core) -> NewsBot:
    """The Discord client on ``core``: a plain ``NewsBot`` unless shards are configured."""
    from bot.newsbot import NewsBot, ShardedNewsBot

    config = core.config
    # Digest jobs live in the same database, one job table per shard set (APScheduler 3 cannot share one
    # between processes); the digest cog starts the scheduler once its jobs are rebuilt.
    scheduler = make_scheduler(
        core.store, grace_seconds=config.scheduler.digest_grace_seconds, tablename=jobs_table(core.shards.key)
    )
    kind = ShardedNewsBot if config.discord.shards.sharded else NewsBot
    return kind(
        config=config,
        store=core.store,
        guilds=core.guilds,
        feed=functools.partial(feed_services, core, scheduler),
        http_trace=session_trace(core.bucket, core.metrics),
    )


def sync_bot(config: Config, store: Store) -> NewsBot:
    """The client for ``newsdesk sync``: the command tree and nothing that posts."""
    from bot.newsbot import NewsBot

    return NewsBot(config=config, store=store, guilds=GuildDirectory(), feed=None)


def feed_services(core: Core, scheduler: AsyncIOScheduler, bot: NewsBot) -> Feed:
    """Everything on the bot's HTTP client, called once by its constructor. One sink: the feed, the digests and
    the alerts share it; it takes its token before each call (outside the request time-out), while discord.py's
    own requests are paced on the session (``session_trace``)."""
    from bot.send.discord_sink import DiscordSink

    config, store = core.config, core.store
    sink = DiscordSink(bot.http, timeout=config.discord.request_timeout, bucket=core.bucket, metrics=core.metrics)
    alerter = Alerter(
        store,
        sink.send_alert,
        config_channel=config.alerts.channel,
        guild_of=core.guilds.guild_of,
        home_guild=config.discord.home_guild,
        every=config.alerts.every_seconds,
    )
    runner = DigestRunner(
        store,
        sink,
        on_failure=alerter.digest_failed,
        embargo=config.articles.embargo,
        member_id=core.membership.member_id,
        exclusive=store.single_process,
        history=sink,
        author_id=bot.author_id,
    )
    counter = SignalCounter(store, bot_id=bot.author_id)
    reconciler = Reconciler(
        store,
        fetch_message=sink.get_message,
        fetch_channel=sink.get_channel,
        keep_days=config.signals.keep_days,
        owns=bot.owns_channel,
        channel_info=sink.channel_info,
        before=counter.settle,
    )
    return Feed(
        pipeline=core.pipeline,
        sink=sink,
        alerter=alerter,
        gate=channel_gate(config, store, sink, alerter, bot.bot_id, core.guilds),
        deliverer=kind_deliverer(config, store, sink, alerter, bot.bot_id),
        adopter=Adopter(sink, bot.author_id),
        digests=runner,
        scheduler=scheduler,
        signals=counter,
        reconciler=reconciler,
        dms=dm_sender(core, sink) if config.personal.enabled else None,
        weekly=weekly_reporter(core, sink, bot),
    )


def weekly_reporter(core: Core, sink: DiscordSink, bot: NewsBot) -> WeeklyReporter:
    """The weekly report of each opted-in server, and the deployment's when ``alerts.weekly_report`` is on."""
    config = core.config
    return WeeklyReporter(
        core.store,
        sink.post_file,
        timezone=config.scheduler.timezone,
        names=channel_names(config.channels),
        cached_channels=bot.cached_channel_guilds,
        owns_guild=config.discord.shards.owns_guild,
        owns_channel=bot.owns_channel,
        deployment_channel=config.alerts.channel if config.alerts.weekly_report else None,
        member_id=core.membership.member_id,
        exclusive=core.store.single_process,
        history=sink,
        author_id=bot.author_id,
    )


def dm_sender(core: Core, sink: DiscordSink) -> DmSender:
    """Members' DMs, on the feed's sink (low-priority tokens: channel posts first). Every process of a cluster
    runs one; rows are claimed, so each member gets a story once."""
    config = core.config
    return DmSender(
        core.store,
        sink,
        member_id=core.membership.member_id,
        exclusive=core.store.single_process,
        default_cap=config.personal.default_daily_cap,
        default_timezone=config.scheduler.timezone,
        grace_seconds=config.scheduler.digest_grace_seconds,
        keep_days=config.personal.keep_days,
        metrics=core.metrics,
        wake=core.dms_planned,
    )


def kind_deliverer(
    config: Config, store: Store, sink: DiscordSink, alerter: Alerter, bot_id: Callable[[], int]
) -> KindDeliverer:
    """Channel kinds for the feed: each configured route's options (routes added with /feed use the defaults)."""
    from bot.send.kinds.deliverer import KindDeliverer

    options = {route.channel_id: route.kinds for route in config.channels}
    return KindDeliverer(
        sink,
        store,
        options=lambda channel_id: options.get(channel_id, KindOptions()),
        avatars=config.providers,
        bot_id=bot_id,
        alert=alerter.raise_alert,
    )


def channel_gate(
    config: Config,
    store: Store,
    sink: DiscordSink,
    alerter: Alerter,
    bot_id: Callable[[], int],
    guilds: GuildDirectory,
) -> ChannelGate:
    """The gate the send queues ask before each delivery, reporting a bad channel once (log line and alert)
    and recording the waiting channels for ``newsdesk status``."""
    labels = {route.channel_id: f"channels[{i}].id" for i, route in enumerate(config.channels)}

    def label(channel_id: int) -> str:
        return labels.get(channel_id, "a /feed route")

    async def blocked(channel_id: int, where: str, problem: str) -> None:
        await alerter.raise_alert(channel_unusable(channel_id, guilds.guild_of(channel_id), where, problem))

    async def changed(waiting: dict[int, str]) -> None:
        text = json.dumps({str(ch): f"{label(ch)}: {why}" for ch, why in waiting.items()})
        await store.run_concurrent(store.set_meta, MetaKey.WAITING_CHANNELS, text)

    async def located(channel_id: int, guild_id: int) -> None:
        # The check's GET /channels/{id} named the guild: kept, so the next start needs no lookup for it.
        if guilds.learn(channel_id, guild_id):
            await store.run_concurrent(store.channel_guilds.remember, {channel_id: guild_id})

    return ChannelGate(
        lambda channel_id: sink.check_channel(channel_id, bot_id()),
        recheck_seconds=config.discord.channel_recheck_seconds,
        label=label,
        on_blocked=blocked,
        on_change=changed,
        on_guild=located,
    )


def session_trace(bucket: TokenBucket | None, metrics: Metrics | None) -> aiohttp.TraceConfig | None:
    """Hooks on discord.py's HTTP session: every request waits for this process's share of the global limit, and
    every response is counted (discord.py retries 429s and 5xx inside its client, out of the sink's sight)."""
    if bucket is None and metrics is None:
        return None
    trace = aiohttp.TraceConfig()
    if bucket is not None:
        pace_session(trace, bucket, counts_globally)
    if metrics is not None:
        metrics.trace_config(trace)
    return trace


def counts_globally(url: yarl.URL) -> bool:
    """Whether a request counts against the bot's global limit: REST calls do, the gateway's websocket does not,
    and neither do interaction responses, which must not queue behind a fan-out (Discord wants them within 3 s)."""
    import discord

    return str(url).startswith(discord.http.Route.BASE) and "/interactions/" not in url.path
