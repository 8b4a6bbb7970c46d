"""The discord.py client. It receives its resources from ``main()`` and loads the extensions in ``cogs``."""

from __future__ import annotations

import logging
import pkgutil

import discord
import yarl
from discord.ext import commands

import cogs
from bot.config import Config, DiscordConfig
from bot.pipeline import Pipeline
from bot.store import Store

log = logging.getLogger(__name__)


def use_endpoints(settings: DiscordConfig) -> None:
    """Point discord.py at ``discord.api_base``/``gateway_url`` (a REST proxy, or the tests' fake Discord).

    discord.py reads both from class attributes; they must be set before login.
    """
    discord.http.Route.BASE = settings.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def extension_names() -> list[str]:
    """Every module or package directly under ``cogs``: adding a feature needs no list to edit."""
    return sorted(
        f"{cogs.__name__}.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")
    )


class NewsBot(commands.Bot):
    def __init__(self, *, config: Config, store: Store, pipeline: Pipeline) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            # Defence in depth: the feed sets allowed_mentions per message, this covers everything else.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.config = config
        self.store = store
        self.pipeline = pipeline

    async def setup_hook(self) -> None:
        for name in extension_names():
            await self.load_extension(name)
        for guild_id in self.config.discord.sync_guilds:
            # Development convenience only: production syncs on request (`newsdesk sync`).
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        log.info("Connected to Discord as %s (%s guilds)", self.user, len(self.guilds))
