"""Which database a command uses: one rule for every command, so they all see the same data."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from bot.config import ChannelRoute, Config
from bot.redact import mask_password
from bot.store.urls import is_sqlite, sqlite_file, with_database

CONSOLE_CHANNEL = ChannelRoute(channel_id=1, name="console")

# Commands that plan deliveries into the ledger they open: never the deployment's without its token.
PLANS_DELIVERIES = ("run", "index")
# Commands that only read (backup copies): on a server without the token they read the live bot's database.
READERS = ("status", "search", "explain", "backup")


def discord_token() -> str:
    """The token, from the environment only (``main()`` has merged ``.env`` into it); never logged."""
    return os.environ.get("DISCORD_TOKEN", "").strip()


class ConsoleDatabaseError(ValueError):
    """Console mode was asked to use a database it must not share (a cluster's PostgreSQL)."""


@dataclass(frozen=True, slots=True)
class Database:
    """The config a command runs with (its ``storage_url`` is the database it opens) and, for stderr, one line
    saying which database that is and why."""

    config: Config
    note: str


def select_database(config: Config, token: str, command: str = "status", *, console: bool = False) -> Database:
    """With ``DISCORD_TOKEN``, ``storage.url``; without it, console mode's own database, except for a reader.

    ``run`` without a token prints to the console, so ``index`` (and ``migrate``) without one plan into that same
    database: console "messages" never mix with Discord ones. A reader (``status``, ``search``, ``explain``,
    ``backup``) typed on the server without the service's token reads the deployment's database when it exists:
    that is the live bot. ``--console`` asks for console mode's database. A PostgreSQL ``storage.url`` is a
    cluster's shared database with no console twin: without a token it is read as it is, never planned into.
    """
    deployed = mask_password(config.storage_url)
    if not is_sqlite(config.storage_url):
        if console or (not token and command in PLANS_DELIVERIES):
            raise ConsoleDatabaseError(_shared_refusal(deployed, command, console))
        if token:
            return Database(config, f"newsdesk: using the Discord database {deployed} (storage.url)")
        return Database(config, f"newsdesk: no DISCORD_TOKEN; reading the shared database {deployed} (storage.url)")
    own = console_config(config)
    ours, theirs = _where(own), _where(config)
    if console:
        return Database(own, f"newsdesk: using console mode's database {ours} (--console)")
    if token:
        return Database(config, f"newsdesk: using the Discord database {theirs} (storage.url)")
    if command not in READERS:
        return Database(own, f"newsdesk: no DISCORD_TOKEN, so using console mode's database {ours}")
    if _exists(config):
        return Database(
            config,
            f"newsdesk: no DISCORD_TOKEN, reading the deployment's database {theirs} (storage.url), which exists; "
            "--console reads console mode's",
        )
    if _exists(own):
        return Database(own, f"newsdesk: no DISCORD_TOKEN and no database at {theirs}, so using console mode's {ours}")
    return Database(own, f"newsdesk: no DISCORD_TOKEN, and no database yet at {theirs} (storage.url) nor {ours}")


def _shared_refusal(url: str, command: str, console: bool) -> str:
    if console:
        return (
            f"--console: storage.url {url} is a PostgreSQL database, which has no console twin; "
            "leave out --console to read it"
        )
    return (
        f"'{command}' refused: storage.url {url} is a PostgreSQL database, a cluster's shared ledger, and console "
        "mode (no DISCORD_TOKEN) never plans into it; set DISCORD_TOKEN (environment or .env), or point "
        "NEWSDESK_STORAGE_URL at a sqlite:/// file for console mode"
    )


def console_config(config: Config) -> Config:
    """Console mode keeps its own ledger, so console 'messages' are never mistaken for Discord ones."""
    url = config.storage_url
    path = sqlite_file(url)
    if path is not None:
        # newsdesk.db -> newsdesk.console.db; any other name gets '.console' before its suffix all the same.
        twin = path.with_name(f"{path.stem}.console{path.suffix or '.db'}")
        url = with_database(url, twin)
    channels = config.channels or (CONSOLE_CHANNEL,)
    return replace(config, storage_url=url, channels=channels)


def _where(config: Config) -> str:
    return str(sqlite_file(config.storage_url) or mask_password(config.storage_url))


def _exists(config: Config) -> bool:
    path = sqlite_file(config.storage_url)
    return path is not None and path.is_file()
