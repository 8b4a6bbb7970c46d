"""Which database a command uses: one rule for every command, so they all see the same data."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config import ChannelRoute, Config
from bot.redact import mask_password

CONSOLE_CHANNEL = ChannelRoute(channel_id=1, name="console")


def discord_token() -> str:
    """The token, from the environment only (``main()`` has merged ``.env`` into it); never logged."""
    return os.environ.get("DISCORD_TOKEN", "").strip()


# Commands that plan deliveries into the ledger they open.
PLANS_DELIVERIES = ("run", "index")


class ConsoleDatabaseError(ValueError):
    """Console mode was asked to plan into a database it must not share (a cluster's PostgreSQL)."""


def select_database(config: Config, token: str, command: str = "status") -> Config:
    """With ``DISCORD_TOKEN`` every command uses ``storage.url``; without it, console mode's own database.

    ``run`` without a token prints to the console, so ``index``, ``status``, ``search`` and ``backup`` without a
    token must read and plan into that same database: console "messages" never mix with Discord ones. A
    PostgreSQL ``storage.url`` is a cluster's shared database and has no console twin: without a token it may
    be read (``status``, ``search``) but never planned into, or console posts would count as Discord ones.
    """
    if token:
        return config
    if is_sqlite(config.storage_url):
        return console_config(config)
    if command in PLANS_DELIVERIES:
        raise ConsoleDatabaseError(
            f"storage.url is {mask_password(config.storage_url)}, a shared database: console mode (no "
            f"DISCORD_TOKEN) never plans into it. Set DISCORD_TOKEN (environment or .env) to '{command}' against "
            "Discord, or point storage.url / NEWSDESK_STORAGE_URL at a sqlite:/// file for console mode"
        )
    return config


def is_sqlite(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "sqlite"
    except ArgumentError:
        return False


def console_config(config: Config) -> Config:
    """Console mode keeps its own ledger, so console 'messages' are never mistaken for Discord ones."""
    url = config.storage_url
    if url.startswith("sqlite:///") and url.endswith(".db"):
        url = url[: -len(".db")] + ".console.db"
    channels = config.channels or (CONSOLE_CHANNEL,)
    return replace(config, storage_url=url, channels=channels)


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL; None for other databases and in-memory ones."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def describe(config: Config, token: str) -> str:
    """One line saying which database a command reads, for stderr."""
    where = sqlite_file(config.storage_url) or mask_password(config.storage_url)
    if token:
        return f"newsdesk: using the Discord database {where} (storage.url)"
    if not is_sqlite(config.storage_url):
        return f"newsdesk: no DISCORD_TOKEN; reading the shared database {where} (storage.url) as it is"
    return f"newsdesk: no DISCORD_TOKEN, so using console mode's database {where}"
