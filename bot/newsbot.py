"""The discord.py client. It receives its resources from ``main()`` and loads the extensions in ``cogs``."""

from __future__ import annotations

import logging
import pkgutil
import secrets
from typing import Any

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands

import cogs
from bot.alerts import Alerter
from bot.config import Config, DiscordConfig
from bot.discord_sink import DiscordSink
from bot.pipeline import Pipeline
from bot.store import Store
from bot.store.newsroom import NewsroomStore

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


class NewsTree(app_commands.CommandTree["NewsBot"]):
    """Expected failures (checks) get a friendly ephemeral answer; anything else is logged with a traceback
    and the member is told plainly that it failed, instead of an endless "thinking…"."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        if isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("Command /%s failed", command, exc_info=error)
            message = "Sorry, that didn't work. The error has been logged for the bot's operators."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException:
            log.warning("Could not tell the member about a failed command", exc_info=True)


class NewsBot(commands.Bot):
    """``pipeline`` None builds the bot without starting the feed (``newsdesk sync`` only needs the tree)."""

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        pipeline: Pipeline | None,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            # Defence in depth: the feed sets allowed_mentions per message, this covers everything else.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=NewsTree,
        )
        self.config = config
        self.store = store
        self.pipeline = pipeline
        # Started (and its jobs rebuilt) by the digest cog; shut down here, in close().
        self.scheduler = scheduler
        self.newsroom = NewsroomStore(store)
        self.alerter = Alerter(
            self.newsroom,
            self._post_alert,
            config_channel=config.alerts.channel,
            guild_of=self.guild_of,
            every=config.alerts.every_seconds,
        )

    def guild_of(self, channel_id: int) -> int | None:
        """The server a channel belongs to, from the gateway cache (None until the guild is known)."""
        channel = self.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        return guild.id if guild is not None else None

    async def _post_alert(self, channel_id: int, payload: dict[str, Any]) -> None:
        sink = DiscordSink(self.http, timeout=self.config.discord.request_timeout)
        await sink.post(channel_id, payload, nonce=secrets.token_hex(12))

    async def setup_hook(self) -> None:
        for name in extension_names():
            await self.load_extension(name)
        if self.pipeline is None:
            return
        for guild_id in self.config.discord.sync_guilds:
            # Development convenience only: production syncs on request (`newsdesk sync`).
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to guild %s", len(synced), guild_id)

    async def sync_commands(self, guild_id: int | None) -> list[app_commands.AppCommand]:
        """Publish the slash commands globally (can take up to an hour to show) or to one guild (at once)."""
        if guild_id is None:
            return await self.tree.sync()
        guild = discord.Object(guild_id)
        self.tree.copy_global_to(guild=guild)
        return await self.tree.sync(guild=guild)

    async def close(self) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            # No digest may start while the cogs unload and the HTTP session closes.
            scheduler.pause()
            scheduler.shutdown(wait=False)
        await super().close()

    async def on_ready(self) -> None:
        log.info("Connected to Discord as %s (%s guilds)", self.user, len(self.guilds))
