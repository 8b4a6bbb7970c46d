"""``newsdesk run | index | check | search``: the command line, and ``main()`` that owns the resources."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot import __version__
from bot.config import ChannelRoute, Config, ConfigError, load_config
from bot.parser import StoryError, is_story_path, parse_story_text
from bot.pipeline import Pipeline
from bot.sinks import ConsoleSink
from bot.store import Store

log = logging.getLogger(__name__)
CONSOLE_CHANNEL = ChannelRoute(channel_id=1, name="console")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return check_folder(Path(args.folder) if args.folder else None, args.config)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # One line per batch of file events is noise next to our own per-story log lines.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    # Our digest runner logs each run itself; APScheduler's per-job lines repeat it.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # A news bot never joins voice; discord.py's warning about missing voice libraries only confuses.
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT be supported" not in record.getMessage()
    )
    if not config.articles.path.is_dir():
        print(f"newsdesk: config key 'articles.path': folder not found: {config.articles.path}", file=sys.stderr)
        return 2
    if args.command == "run":
        return asyncio.run(run(config))
    if args.command == "index":
        return index(config)
    if args.command == "status":
        return status(config)
    if args.command == "sync":
        return asyncio.run(sync_commands(config, args.guild))
    return search(config, args.topic, args.query, args.limit)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdesk", description="Posts curated news stories to Discord.")
    parser.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    parser.add_argument("--config", type=Path, default=None, help="config file (default config/newsdesk.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="watch the folder and post (console mode without DISCORD_TOKEN)")
    sub.add_parser("index", help="build or update the story index")
    check = sub.add_parser("check", help="lint story files: one line per bad file, exit 1 if any")
    check.add_argument("folder", nargs="?", help="folder to check (default: articles.path)")
    find = sub.add_parser("search", help="print stories matching a topic or a full-text query")
    find.add_argument("topic", nargs="?", help="a topic, e.g. AI")
    find.add_argument("--query", "-q", help="full-text query over title, excerpt, provider and topics")
    find.add_argument("--limit", type=int, default=20)
    sub.add_parser("status", help="print the bot's status report from the database")
    sync = sub.add_parser("sync", help="publish the slash commands to Discord (needs DISCORD_TOKEN)")
    sync.add_argument("--guild", type=int, help="sync to this guild only (instant) instead of globally")
    return parser


async def run(config: Config) -> int:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        config = _console_config(config)
    store = Store.open(config.storage_url)
    pipeline = Pipeline(config, store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if token:
            return await _run_discord(config, store, pipeline, token, stop)
        log.info("No DISCORD_TOKEN: console mode, printing posts here (database %s)", config.storage_url)
        labels = {r.channel_id: r.name for r in config.channels}
        # Message numbers carry on from the last run, so an edit or delete names the card it refers to.
        await pipeline.start(ConsoleSink(labels, first_id=store.max_message_id() + 1))
        log.info(
            "Console mode is watching %s: save or drop a story file there and its card appears here. Ctrl+C stops.",
            config.articles.path,
        )
        await stop.wait()
        await pipeline.stop()
        return 0
    finally:
        store.close()


async def _run_discord(config: Config, store: Store, pipeline: Pipeline, token: str, stop: asyncio.Event) -> int:
    import discord

    from bot.digest.jobs import make_scheduler
    from bot.newsbot import NewsBot, use_endpoints

    use_endpoints(config.discord)
    # Digest jobs live in the same database; the digest cog starts the scheduler once its jobs are rebuilt.
    scheduler = make_scheduler(store, grace_seconds=config.scheduler.digest_grace_seconds)
    async with NewsBot(config=config, store=store, pipeline=pipeline, scheduler=scheduler) as bot:
        runner = asyncio.create_task(bot.start(token))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
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


async def sync_commands(config: Config, guild_id: int | None) -> int:
    """Slash commands are synced on request, never on every start: syncing is rate-limited and flickers the UI."""
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("newsdesk: sync needs DISCORD_TOKEN in the environment", file=sys.stderr)
        return 2
    import discord

    from bot.newsbot import NewsBot, use_endpoints

    use_endpoints(config.discord)
    store = Store.open(config.storage_url)
    try:
        async with NewsBot(config=config, store=store, pipeline=None) as bot:
            try:
                await bot.login(token)
            except discord.LoginFailure:
                print("newsdesk: Discord refused the token in DISCORD_TOKEN", file=sys.stderr)
                return 1
            synced = await bot.sync_commands(guild_id)
    finally:
        store.close()
    where = f"guild {guild_id}" if guild_id else "all servers (global; may take up to an hour to appear)"
    print(f"Synced {len(synced)} commands to {where}: {', '.join('/' + c.name for c in synced)}")
    return 0


def _console_config(config: Config) -> Config:
    """Console mode keeps its own ledger, so console 'messages' are never mistaken for Discord ones."""
    url = config.storage_url
    if url.startswith("sqlite:///") and url.endswith(".db"):
        url = url[: -len(".db")] + ".console.db"
    channels = config.channels or (CONSOLE_CHANNEL,)
    return replace(config, storage_url=url, channels=channels)


def index(config: Config) -> int:
    store = Store.open(config.storage_url)
    pipeline = Pipeline(config, store)
    try:
        pipeline.initial_sync(progress=_progress_bar)
        counts = store.counts()
    finally:
        store.close()
    print(
        f"\nIndexed: {counts['stories']} stories, {counts['published']} published, "
        f"{counts['rejected']} files rejected, {counts['pending']} deliveries waiting for `newsdesk run`"
    )
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\rIndexing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files", end=end, file=sys.stderr)


def check_folder(folder: Path | None, config_path: Path | None) -> int:
    if folder is None:
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            print(f"newsdesk: {exc}", file=sys.stderr)
            return 2
        folder, max_bytes = config.articles.path, config.articles.max_file_bytes
    else:
        max_bytes = 1024 * 1024
    if not folder.is_dir():
        print(f"newsdesk: folder not found: {folder}", file=sys.stderr)
        return 2
    bad = checked = 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or not is_story_path(rel):
            continue
        checked += 1
        reason = _check_file(path, rel, max_bytes)
        if reason:
            bad += 1
            print(reason)
    print(f"{checked} files checked, {bad} rejected", file=sys.stderr)
    return 1 if bad else 0


def _check_file(path: Path, rel: str, max_bytes: int) -> str | None:
    size = path.stat().st_size
    if size > max_bytes:
        return f"{rel}: file is {size} bytes, over the {max_bytes}-byte cap (articles.max_file_bytes)"
    try:
        parse_story_text(path.read_bytes().decode("utf-8"), rel)
    except UnicodeDecodeError as exc:
        return f"{rel}: not UTF-8 text (byte {exc.start})"
    except StoryError as exc:
        return str(exc)
    return None


def status(config: Config) -> int:
    from bot.status import DigestLine, collect, render_text
    from bot.store.digests import DigestStore
    from bot.store.newsroom import NewsroomStore

    store = Store.open(config.storage_url)
    try:
        digest_store = DigestStore(store)
        runs = digest_store.next_run_times()
        digests = [DigestLine(r.spec.name, r.spec.channel_id, runs.get(str(r.id))) for r in digest_store.all()]
        print(render_text(collect(store, NewsroomStore(store), digests=digests)))
    finally:
        store.close()
    return 0


def search(config: Config, topic: str | None, query: str | None, limit: int) -> int:
    from bot.search_service import SearchRequest, search_stories

    store = Store.open(config.storage_url)
    try:
        results = search_stories(store, SearchRequest(topic=topic, query=query, limit=limit))
    finally:
        store.close()
    if not results:
        print("No published stories match.")
        return 1
    for story in results:
        when = story.published_at.strftime("%Y-%m-%d") if story.published_at else "undated"
        provider = story.provider.name if story.provider else "unknown source"
        print(f"{when}  {story.title}  ({provider}; {', '.join(story.topics)})\n            {story.web_url}")
    return 0
