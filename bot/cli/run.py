"""``newsdesk run`` and ``newsdesk sync``: the two commands that talk to Discord (or the console)."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

import aiohttp
import yarl

from bot.cluster.claims import Claims
from bot.cluster.fairshare import TokenBucket, fair_burst, joining_share, pace_session
from bot.cluster.locks import POLL_SECONDS, Role, RoleLocks, libpq_dsn, wanted_roles
from bot.cluster.membership import Membership
from bot.cluster.notify import listen
from bot.cluster.single import ProcessLock, hold_sqlite
from bot.config import Config
from bot.metrics import Metrics
from bot.metrics_server import serve_metrics
from bot.pipeline import Pipeline
from bot.redact import mask_password
from bot.send.sinks import ConsoleSink
from bot.sharding import GuildDirectory, ShardPlan
from bot.store import Store
from bot.store.batch_sql import database_url
from bot.store.notices import notify_planned

if TYPE_CHECKING:
    import discord

log = logging.getLogger(__name__)


async def run(config: Config, *, ingest: bool = True) -> int:
    """Watch and post; ``config`` already names the database for this mode (``select_database``). Without
    ``ingest`` (``--no-ingest``: this machine cannot see the story folder) the process only sends."""
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    # SQLite: one process per database file, said at once rather than found out by two bots posting twice.
    single = hold_single_process(config.storage_url)
    try:
        return await _run_holding(config, token, ingest=ingest)
    finally:
        if single is not None:
            single.release()


async def _run_holding(config: Config, token: str, *, ingest: bool) -> int:
    from bot.heartbeat import beat_forever, mark_stopped

    store = Store.open(config.storage_url)
    metrics = Metrics() if config.metrics.enabled else None  # this process's registry, handed to what reports
    try:
        server = await serve_metrics(metrics, store, host=config.metrics.host, port=config.metrics.port)
    except Exception:
        store.close()
        raise
    newsroom = store.newsroom
    # Console mode prints every channel's posts; only Discord mode serves just its shards' guilds.
    shards = config.discord.shards if token else ShardPlan()
    locks = role_locks(config, shards, ingest=ingest) if token else None
    # The joining share until the first heartbeat has counted the members (bot/cluster/membership.py).
    bucket = TokenBucket(joining_share(), burst_for=fair_burst) if token else None
    cluster = store.cluster
    membership = Membership(store, shards, every=config.heartbeat_seconds, locks=locks, bucket=bucket)
    if metrics is not None:
        metrics.follow(roles=membership.role_names)
    # On PostgreSQL every send is claimed in the ledger. SQLite is one process (its lock file): no claims, which
    # would cost two writes per post; a row an earlier attempt left unsettled is looked for before re-posting.
    claims = Claims(cluster, membership.member_id, store.run_concurrent) if locks is not None else None
    # Built once here and shared: the bot, its cogs and the pipeline all use this one NewsroomStore.
    pipeline = Pipeline(
        config,
        store,
        newsroom=newsroom,
        shards=shards,
        guilds=await store.run_concurrent(guild_directory, config, store),
        metrics=metrics,
        ingest=locks,
        claims=claims,
        notify=store.cluster.notify if locks is not None else None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    heartbeat = asyncio.create_task(beat_forever(store, config.heartbeat_seconds), name="heartbeat")
    background = [heartbeat, asyncio.create_task(membership.run(), name="cluster-heartbeat")]
    if locks is not None:
        background.append(asyncio.create_task(locks.run(), name="role-locks"))
        dsn = libpq_dsn(database_url(config.storage_url))
        # Planning NOTIFYs inside its own transaction: the others hear of the rows the moment they are committed.
        store.on_planned = functools.partial(notify_planned, ours=pipeline.owns_channel)
        background.append(asyncio.create_task(listen(dsn, pipeline.notified), name="listen-deliveries"))
    try:
        if token:
            return await _run_discord(
                config, store, pipeline, token, stop, locks=locks, bucket=bucket, member_id=membership.member_id
            )
        log.info("No DISCORD_TOKEN: console mode, printing posts here (database %s)", mask_password(config.storage_url))
        labels = {r.channel_id: r.name for r in config.channels}
        # Message numbers carry on from the last run, so an edit or delete names the card it refers to.
        await pipeline.start(
            ConsoleSink(
                labels,
                first_id=await store.run_concurrent(store.ledger.max_message_id) + 1,
                title_of=functools.partial(store.run_concurrent, store.ledger.message_title),
            )
        )
        log.info(
            "Console mode is watching %s: save or drop a story file there and its card appears here. Ctrl+C stops.",
            config.articles.path,
        )
        await stop.wait()
        await pipeline.stop()
        log.info("Console mode stopped")  # Ctrl+C (or SIGTERM) must not end in silence
        return 0
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if server is not None:
            await server.stop()
        await membership.leave()
        await mark_stopped(store)
        store.close()


def hold_single_process(url: str) -> ProcessLock | None:
    """The SQLite lock file for ``run``; PostgreSQL runs several processes and needs none."""
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return hold_sqlite(url, parsed.database or "")


def guild_directory(config: Config, store: Store) -> GuildDirectory:
    """Channel → guild from the database, the config's ``guild:`` entries and the ``/feed add`` routes (which
    recorded their guild); the declared ones are stored too, so every process of the bot reads them."""
    stored = store.channel_guilds
    known = stored.all()
    declared = {r.channel_id: r.guild_id for r in config.channels if r.guild_id is not None}
    declared |= {r.channel_id: r.guild_id for r in store.newsroom.routes()}
    stored.remember({c: g for c, g in declared.items() if known.get(c) != g})
    return GuildDirectory(known | declared)


def role_locks(config: Config, shards: ShardPlan, *, ingest: bool = True) -> RoleLocks | None:
    """On PostgreSQL every role is an advisory lock (bot/cluster/locks.py); SQLite has its lock file instead."""
    parsed = database_url(config.storage_url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return RoleLocks(libpq_dsn(parsed), wanted_roles(shards.shard_ids, ingest=ingest))


async def _hold_shards(locks: RoleLocks, shards: ShardPlan, stop: asyncio.Event) -> bool:
    """Wait until this process holds every one of its shards' locks (a hot standby waits here, connected to
    nothing); False when asked to stop first."""
    mine = [Role.shard(n) for n in shards.shard_ids]
    try:
        await asyncio.wait_for(locks.wait_for(mine), timeout=POLL_SECONDS * 2)
    except TimeoutError:
        log.info("Standby for %s: another process holds them; taking over when it stops", shards.describe())
        waiting = asyncio.create_task(locks.wait_for(mine))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        stopping.cancel()
        if not locks.holds(mine):
            return False
    log.info("Holding the locks of %s", shards.describe())
    return True


async def _run_discord(
    config: Config,
    store: Store,
    pipeline: Pipeline,
    token: str,
    stop: asyncio.Event,
    *,
    locks: RoleLocks | None = None,
    bucket: TokenBucket | None = None,
    member_id: str = "",
) -> int:
    import discord

    from bot.alerts import Alerter
    from bot.digest.jobs import jobs_table, make_scheduler
    from bot.newsbot import DiscordUnreachable, channel_gate, kind_deliverer, make_bot, use_endpoints
    from bot.send.discord_sink import DiscordSink

    use_endpoints(config.discord)
    shards = config.discord.shards
    if shards.sharded:
        log.info("Running %s", shards.describe())
    # The gateway is connected (and the feed started) only while this process holds its shards' locks.
    if locks is not None and not await _hold_shards(locks, shards, stop):
        return 0
    # Digest jobs live in the same database, one job table per shard set (APScheduler 3 cannot share one
    # between processes); the digest cog starts the scheduler once its jobs are rebuilt.
    scheduler = make_scheduler(
        store, grace_seconds=config.scheduler.digest_grace_seconds, tablename=jobs_table(shards.key)
    )
    newsroom = pipeline.newsroom
    bot = make_bot(
        config=config,
        store=store,
        newsroom=newsroom,
        pipeline=pipeline,
        scheduler=scheduler,
        member_id=member_id,
        http_trace=session_trace(bucket, pipeline.metrics),
    )
    async with bot:
        # One sink on the bot's HTTP client, built before start: the feed, the digests and the alerts share it.
        # The sink takes its token before each call (outside the request time-out); discord.py's own requests are
        # paced on the session (session_trace).
        sink = DiscordSink(bot.http, timeout=config.discord.request_timeout, bucket=bucket, metrics=pipeline.metrics)
        alerter = Alerter(
            store,
            sink.send_alert,
            config_channel=config.alerts.channel,
            guild_of=bot.guild_of,
            home_guild=config.discord.home_guild,
            every=config.alerts.every_seconds,
        )
        gate = await channel_gate(config, store, sink, alerter, bot, pipeline.guilds)
        bot.attach(sink=sink, alerter=alerter, gate=gate, deliverer=kind_deliverer(config, store, sink, alerter, bot))
        starting = asyncio.create_task(bot.start_within(token, config.discord.request_timeout))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            log.info("Shutting down")
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return 0
        try:
            runner = starting.result()
        except discord.LoginFailure:
            stopper.cancel()
            log.error("Discord refused the token in DISCORD_TOKEN")
            return 1
        except DiscordUnreachable as exc:
            stopper.cancel()
            log.error("%s", exc)
            return 1
        lost = asyncio.create_task(_lost(locks, shards))
        await asyncio.wait({runner, stopper, lost}, return_when=asyncio.FIRST_COMPLETED)
        if lost.done():
            # Another process may take the shards over at any moment now: stop sending at once. The supervisor
            # (systemd) restarts us, and we come back as a standby.
            log.error("Lost the lock of %s: disconnecting so that no shard is served twice", shards.describe())
            stopper.cancel()
            await bot.close()
            await asyncio.gather(runner, return_exceptions=True)
            return 1
        lost.cancel()
        if runner.done():
            stopper.cancel()
            try:
                runner.result()
            except discord.LoginFailure:
                log.error("Discord refused the token in DISCORD_TOKEN")
                return 1
            return 0
        log.info("Shutting down")
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
    return 0


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


async def _lost(locks: RoleLocks | None, shards: ShardPlan) -> None:
    if locks is None:
        await asyncio.Event().wait()  # nothing to lose: never returns
        return
    await locks.wait_lost([Role.shard(n) for n in shards.shard_ids])


async def sync_commands(config: Config, guild_id: int | None) -> int:
    """Slash commands are synced on request, never on every start: syncing is rate-limited and flickers the UI."""
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("newsdesk: sync needs DISCORD_TOKEN in the environment", file=sys.stderr)
        return 2
    import discord

    from bot.newsbot import DiscordUnreachable, NewsBot, reach, use_endpoints

    use_endpoints(config.discord)
    store = Store.open(config.storage_url)
    where, timeout = config.discord.api_base, config.discord.request_timeout
    try:
        async with NewsBot(config=config, store=store, newsroom=store.newsroom, pipeline=None) as bot:
            try:
                await reach(bot.login(token), where=where, timeout=timeout)
                synced = await reach(bot.sync_commands(guild_id), where=where, timeout=timeout)
            except discord.LoginFailure:
                print("newsdesk: Discord refused the token in DISCORD_TOKEN", file=sys.stderr)
                return 2
            except DiscordUnreachable as exc:
                print(f"newsdesk: {exc}", file=sys.stderr)
                return 2
            except discord.HTTPException as exc:
                print(f"newsdesk: sync: {sync_refusal(exc, guild_id)}", file=sys.stderr)
                return 2
    finally:
        store.close()
    where = f"guild {guild_id}" if guild_id else "all servers (global; may take up to an hour to appear)"
    print(f"Synced {len(synced)} commands to {where}: {', '.join('/' + c.name for c in synced)}")
    return 0


def sync_refusal(exc: discord.HTTPException, guild_id: int | None) -> str:
    """What a refused sync means, in one line: Discord's bare "404 Not Found" does not say what to fix."""
    answer = f"Discord answered HTTP {exc.status} {exc.text or exc.response.reason}".rstrip()
    if guild_id is not None and exc.status == 404:
        return (
            f"no server {guild_id} is known to Discord ({answer}): check the id (Developer Mode, then right-click "
            "the server, Copy Server ID)"
        )
    if guild_id is not None and exc.status == 403:
        return (
            f"no access to server {guild_id} ({answer}): the bot is not in it, or was added without the "
            "applications.commands scope; add it with the URL `newsdesk invite` prints"
        )
    if exc.status == 403:
        return f"{answer}: DISCORD_TOKEN's application may not publish commands"
    return answer
