"""The command line, and ``main()`` that owns the resources: ``newsdesk [--config PATH] COMMAND``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv

from bot import __version__
from bot.cli.data import ConsoleDatabaseError, discord_token, select_database
from bot.cluster.single import AlreadyRunning
from bot.config import DEFAULT_CONFIG_PATH, Config, ConfigError, load_config, with_shards
from bot.redact import SecretFilter, password_of
from bot.sharding import ShardError
from bot.store.errors import StorageError

log = logging.getLogger(__name__)
DEBUG_HINT = "run with --debug (or log_level: DEBUG) for the details"
_NEEDS_ARTICLES = ("run", "index")
_READS_DATABASE = ("index", "status", "search", "backup", "migrate", "explain")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # DISCORD_TOKEN may come from ./.env; the real environment wins. Never from the YAML, never logged.
    dotenv = Path.cwd() / ".env"
    if dotenv.is_file():
        load_dotenv(dotenv, override=False)
    try:
        return _dispatch(args)
    except (ConfigError, StorageError, ShardError, AlreadyRunning) as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A file the command was pointed at that can't be read or written: foreseeable, so one line, no traceback.
        if args.debug:
            raise
        print(
            f"newsdesk: {file_problem(exc, getattr(args, 'file', None) or getattr(args, 'path', None))}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("newsdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A last resort: an unexpected fault still ends in one line; the traceback is there when asked for.
        if args.debug or logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        print(f"newsdesk: unexpected error: {type(exc).__name__}: {exc} ({DEBUG_HINT})", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    from bot.cli import admin, inspect

    if args.command == "check" and args.path is not None:
        # A file or folder named on the command line: the config's size cap applies when there is a config (the
        # one given, or the default in this folder); without one, the default cap.
        if args.config is None and not DEFAULT_CONFIG_PATH.is_file():
            return inspect.check(Path(args.path))
        return inspect.check(Path(args.path), load_config(args.config).articles.max_file_bytes)
    config = load_config(args.config)
    if args.command == "run":
        config = with_shards(config, args.shard_count, args.shard_ids)
    _setup_logging(config, args.debug)
    if args.command == "check":
        return inspect.check(config.articles.path, config.articles.max_file_bytes)
    sends_only = args.command == "run" and args.no_ingest
    if args.command in _NEEDS_ARTICLES and not sends_only and not config.articles.path.is_dir():
        print(f"newsdesk: config key 'articles.path': folder not found: {config.articles.path}", file=sys.stderr)
        return 2
    token = discord_token()
    if args.command == "invite":
        return admin.invite(config, token, threads=args.threads, webhooks=args.webhooks, user=args.user)
    try:
        database = select_database(config, token, args.command, console=getattr(args, "console", False))
    except ConsoleDatabaseError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 2
    config = database.config
    if args.command in _READS_DATABASE:
        print(database.note, file=sys.stderr)
    if args.command == "run":
        from bot.cli.run import run

        return asyncio.run(run(config, ingest=not args.no_ingest))
    if args.command == "sync":
        from bot.cli.run import sync_commands

        return asyncio.run(sync_commands(config, args.guild))
    if args.command == "index":
        return inspect.index(config)
    if args.command == "status":
        return inspect.status(config, None if args.chart is None else Path(args.chart))
    if args.command == "backup":
        return admin.backup(config, Path(args.path), force=args.force)
    if args.command == "explain":
        return inspect.explain(config, Path(args.file))
    if args.command == "migrate":
        from bot.cli.migrate import migrate

        return migrate(config)
    return inspect.search(config, args.topic, args.query, args.limit)


def file_problem(exc: OSError, target: str | None = None) -> str:
    """``PermissionError(13, ..., 'x.md')`` -> ``x.md: Permission denied``; without a file name in the error, the
    file the command was given (a read can fail with none)."""
    reason = exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else target
    return f"{where}: {reason}" if where else reason


def _setup_logging(config: Config, debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else config.log_level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Defence in depth: no log line ever shows the bot token, a webhook's or interaction's token, or the
    # database's password (in a URL, masked wherever it appears; the password itself, wherever else).
    secrets = SecretFilter([os.environ.get("DISCORD_TOKEN", "").strip(), password_of(config.storage_url)])
    for handler in logging.getLogger().handlers:
        handler.addFilter(secrets)
    # One line per batch of file events is noise next to our own per-story log lines.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    # bot.store.migrate logs what a migration changed; Alembic's own lines ("Context impl ...") say nothing more.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Our digest runner logs each run itself; APScheduler's per-job lines repeat it.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # A news bot never joins voice; discord.py's warning about missing voice libraries only confuses.
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT be supported" not in record.getMessage()
    )


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 100, got {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 100, got {value}")
    return value


def _shard_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def _common_options(top_level: bool) -> argparse.ArgumentParser:
    """--config and --debug, accepted before or after the command.

    After the command their default is SUPPRESS, so a subcommand never resets a value given before it; each use
    gets its own parser because ``parents`` shares the option objects (and so their defaults).
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=None if top_level else argparse.SUPPRESS,
        metavar="PATH",
        help="config file (default config/newsdesk.yaml in the current folder)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="log everything and show tracebacks",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk", description="Posts curated news stories to Discord.", parents=[_common_options(True)]
    )
    parser.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description, parents=[_common_options(False)])

    run = command(
        "run",
        "watch the folder and post (console mode without DISCORD_TOKEN)",
        "Watch articles.path and post every story that becomes published. With DISCORD_TOKEN (environment or "
        "./.env) it posts to Discord; without it, console mode prints each post here and keeps its own database "
        "(storage.url with .console.db).",
    )
    run.add_argument(
        "--shard-count",
        type=_shard_count,
        metavar="N",
        help="the bot's total number of shards (overrides discord.shard_count); alone: all of them in this process",
    )
    run.add_argument(
        "--shard-ids",
        metavar="IDS",
        help="the shards this process runs, e.g. 0,2 (overrides discord.shard_ids); it serves only their guilds",
    )
    run.add_argument(
        "--no-ingest",
        action="store_true",
        help="never take the ingest role (this machine cannot see articles.path): only send (PostgreSQL cluster)",
    )
    command(
        "index",
        "build or update the story index",
        "Build or update the story index from articles.path, with a progress bar, and plan the deliveries "
        "`newsdesk run` will make. Without DISCORD_TOKEN it indexes console mode's database.",
    )
    check = command(
        "check",
        "lint story files: one line per bad file, exit 1 if any",
        "Lint story files: one line per bad file and exit 1 if any. A story without a 'published' field gets a "
        "warning (it stays unpublished) but does not fail. The config's articles.max_file_bytes applies (the "
        "default cap without a config).",
    )
    check.add_argument("path", nargs="?", metavar="PATH", help="one story file, or a folder (default articles.path)")
    find = command(
        "search",
        "print published stories by topic or full-text query",
        "Print published stories matching a topic or a full-text query; with neither, the latest stories.",
    )
    find.add_argument("topic", nargs="?", help="a topic, e.g. AI")
    find.add_argument("--query", "-q", help="full-text query over title, excerpt, provider and topics")
    find.add_argument("--limit", type=_limit, default=20, help="how many stories to print, 1-100 (default 20)")
    status = command(
        "status",
        "print the status report from the database",
        "Print the status report (stories, last scan, rejected files, queues, digests) from the database. "
        "It never creates a database: with none yet, it says so. Without DISCORD_TOKEN it reads the "
        "deployment's database (storage.url) when that exists, else console mode's.",
    )
    status.add_argument(
        "--chart",
        metavar="PATH",
        help="also write the last 24 hours as a PNG chart to PATH (the picture /newsdesk status attaches)",
    )
    sync = command(
        "sync",
        "publish the slash commands to Discord (needs DISCORD_TOKEN)",
        "Publish the slash commands to Discord. Done on request only, never at start: syncing is rate-limited.",
    )
    sync.add_argument("--guild", type=int, help="sync to this guild only (instant) instead of globally")
    invite = command(
        "invite",
        "print the URL that adds the bot to a server (needs DISCORD_TOKEN)",
        "Print the invite URL for DISCORD_TOKEN's application, with the scopes bot and applications.commands "
        "and the permissions the bot needs, each explained.",
    )
    invite.add_argument("--threads", action="store_true", help="add the thread permissions (forum channels)")
    invite.add_argument("--webhooks", action="store_true", help="add Manage Webhooks")
    invite.add_argument("--user", action="store_true", help="the link members use to add the app to their account")
    explain = command(
        "explain",
        "print, for every config route, whether a story file goes there and which rule stopped it",
        "Parse one story file and print, for every route under channels:, whether the story would be posted "
        "there and, if not, the first rule that stopped it (the same check the bot makes). Daily caps count "
        "today's posts from the database when there is one.",
    )
    explain.add_argument("file", metavar="FILE", help="a story file")
    command(
        "migrate",
        "bring the database's schema up to date",
        "Apply the schema migrations to the database (storage.url, or env NEWSDESK_STORAGE_URL) and print the "
        "revision before and after. `newsdesk run` does this at start too; a database made before migrations "
        "existed is adopted with all its rows. Without DISCORD_TOKEN it migrates console mode's database.",
    )
    backup = command(
        "backup",
        "copy the database consistently, even while the bot runs",
        "Copy the SQLite database to PATH with SQLite's online backup API, consistent even while the bot "
        "writes. Refuses to overwrite PATH unless --force. Without DISCORD_TOKEN it copies the deployment's database "
        "(storage.url) when that exists, else console mode's.",
    )
    backup.add_argument("path", metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    for reader in (find, status, explain, backup):
        reader.add_argument(
            "--console",
            action="store_true",
            help="read console mode's database (storage.url with .console.db), even where the deployment's exists",
        )
    return parser
