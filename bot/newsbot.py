"""The discord.py client. It receives its services from ``bot/app.py`` and loads the extensions in ``cogs``."""

from __future__ import annotations

import asyncio
import errno
import logging
import pkgutil
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot.config import Config, DiscordConfig
from bot.sharding import GuildDirectory, ShardPlan
from bot.store import Store

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.app import Feed
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

T = TypeVar("T")
NOT_HERE = "Newsdesk is not available in this server."


class DiscordUnreachable(Exception):
    """Discord (or the proxy in ``discord.api_base``/``gateway_url``) could not be reached: one line says why."""


def use_endpoints(settings: DiscordConfig) -> None:
    """Point discord.py at ``discord.api_base``/``gateway_url`` (a REST proxy, or the tests' fake Discord).

    discord.py reads both from class attributes; they must be set before login.
    """
    discord.http.Route.BASE = settings.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def connection_problem(exc: BaseException) -> str:
    """A connection error in a few words ("connection refused"), not aiohttp's nested repr."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host name not found"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
        cause = getattr(cause, "os_error", None) or cause.__cause__
    return str(exc) or type(exc).__name__


# The timeout is part of the contract: running out says which option to raise, which asyncio.timeout can't.
async def reach(work: Awaitable[T], *, where: str, timeout: float) -> T:  # noqa: ASYNC109
    """Await a call to Discord, turning a refused, failed or silent connection into ``DiscordUnreachable``."""
    try:
        return await asyncio.wait_for(work, timeout=timeout)
    except TimeoutError:
        raise DiscordUnreachable(
            f"cannot reach Discord at {where}: no answer within {timeout:g}s (discord.request_timeout)"
        ) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise DiscordUnreachable(f"cannot reach Discord at {where}: {connection_problem(exc)}") from None
    except discord.DiscordServerError as exc:
        raise DiscordUnreachable(f"Discord at {where} keeps failing: HTTP {exc.status} {exc.text}") from None


class GatewayOutages(logging.Filter):
    """discord.py logs every gateway reconnect with a full traceback; one line per outage says as much.
    The last reason is kept for the start-up error when the first connection never succeeds."""

    def __init__(self) -> None:
        super().__init__()
        self.last_error = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage().startswith("Attempting a reconnect"):
            exc = record.exc_info[1]
            code = getattr(exc, "code", None)
            reason = f"closed with code {code}" if code is not None else connection_problem(exc) if exc else "?"
            self.last_error = reason
            original = record.getMessage()
            record.msg = "Discord gateway connection lost (%s); %s"
            record.args = (reason, original[0].lower() + original[1:])
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def extension_names() -> list[str]:
    """Every module or package directly under ``cogs``: adding a feature needs no list to edit."""
    return sorted(
        f"{cogs.__name__}.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")
    )


class NewsTree(app_commands.CommandTree["NewsBot"]):
    """Expected failures (checks) get a friendly ephemeral answer; anything else is logged with a traceback
    and the member is told plainly that it failed, instead of an endless "thinking…"."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # A server outside discord.guilds gets nothing, even in the moment before the bot has left it.
        if self.client.config.discord.allows(interaction.guild_id):
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await interaction.response.send_message(NOT_HERE, ephemeral=True)
        return False

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
    """``feed`` builds the services that run on this client's HTTP session (``bot.app.feed_services``); None
    builds the bot without them, for ``newsdesk sync``, which only needs the command tree."""

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        guilds: GuildDirectory,
        feed: Callable[[NewsBot], Feed] | None,
        http_trace: aiohttp.TraceConfig | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        # Not privileged: the community's signal (bot/signal/) counts reactions on the bot's posts and replies in
        # their threads from these events; message_content stays off, so no text of a member's message arrives.
        intents.guild_messages = True
        intents.guild_reactions = True
        options = self.gateway_options(config.discord.shards)
        if http_trace is not None:
            # Hooks on the HTTP session: the metrics' response counters see every answer, retries included.
            options["http_trace"] = http_trace
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            # Defence in depth: the feed sets allowed_mentions per message, this covers everything else.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=NewsTree,
            # A rate limit longer than this (the crosspost limit: minutes) raises instead of holding the caller;
            # the send queues retry with their own backoff, and a crosspost is recorded as not published.
            max_ratelimit_timeout=60.0,
            # No message cache: nothing reads it, and discord.py scans it whole for every reaction and deletion
            # event (1,000 messages by default): at a few thousand signal events a second that scan was the
            # bot's main cost and delayed /news (bench/bench_signal.py).
            max_messages=None,
            **options,
        )
        self.config = config
        self.store = store
        # Channel → guild, shared with the pipeline; the gateway's cache answers for channels nobody recorded.
        self.directory = guilds
        guilds.follow(self._cached_guild_of)
        self.gateway_outages = GatewayOutages()
        self._connected = asyncio.Event()
        # Last: the services need the HTTP client discord.py made above.
        self.feed = feed(self) if feed is not None else None

    @property
    def pipeline(self) -> Pipeline | None:
        return self.feed.pipeline if self.feed is not None else None

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        """The digest jobs' scheduler: started (and its jobs rebuilt) by the digest cog, shut down in close()."""
        return self.feed.scheduler if self.feed is not None else None

    @staticmethod
    def gateway_options(shards: ShardPlan) -> dict[str, Any]:
        """Extra client options: none for one plain gateway connection (see ``ShardedNewsBot``)."""
        return {}

    def owns_channel(self, channel_id: int) -> bool:
        """Whether this process posts to the channel (its guild is on one of our shards)."""
        return self.pipeline.owns_channel(channel_id) if self.pipeline is not None else True

    async def start_within(self, token: str, timeout: float) -> asyncio.Task[None]:  # noqa: ASYNC109  as reach
        """Log in and open the gateway, each within ``timeout``; returns the task running the connection.

        Only the first connection is bounded: once it worked, an outage is reconnected with discord.py's
        backoff (one log line each), because the feed keeps its deliveries pending meanwhile."""
        await reach(self.login(token), where=discord.http.Route.BASE, timeout=timeout)
        url = str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        # discord.client logs an unsharded connection's reconnects, discord.shard each shard's.
        for logger in ("discord.client", "discord.shard"):
            logging.getLogger(logger).addFilter(self.gateway_outages)
        runner = asyncio.create_task(self.connect(reconnect=True), name="discord-gateway")
        connected = asyncio.create_task(self._connected.wait())
        await asyncio.wait({runner, connected}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        connected.cancel()
        if self._connected.is_set():
            return runner
        # Not connected: still trying, or given up (discord.py can't even retry when the very first
        # connection fails: it has no session to resume). Either way the first start failed.
        runner.cancel()
        failure = (await asyncio.gather(runner, return_exceptions=True))[0]
        if isinstance(failure, discord.PrivilegedIntentsRequired | discord.LoginFailure):
            raise failure
        reason = self.gateway_outages.last_error or "no answer"
        raise DiscordUnreachable(f"cannot connect to the Discord gateway at {url} within {timeout:g}s: {reason}")

    async def on_connect(self) -> None:
        self._connected.set()

    def bot_id(self) -> int:
        assert self.user is not None, "log in first"
        return self.user.id

    def author_id(self) -> int | None:
        """The bot's user id once logged in: the author of its own posts in a channel's history."""
        return self.user.id if self.user is not None else None

    def guild_of(self, channel_id: int) -> int | None:
        """The server a channel belongs to (None when nobody knows). Alerts and walls are drawn by it."""
        return self.directory.guild_of(channel_id)

    def _cached_guild_of(self, channel_id: int) -> int | None:
        guild = getattr(self.get_channel(channel_id), "guild", None)
        return int(guild.id) if guild is not None else None

    def cached_channel_guilds(self, guild_id: int) -> dict[int, int]:
        """Channel → server for one server's channels and threads, from the gateway cache."""
        guild = self.get_guild(guild_id)
        if guild is None:
            return {}
        return {c.id: guild_id for c in [*guild.channels, *guild.threads]}

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
        scheduler = self.scheduler
        if scheduler is not None and scheduler.running:
            # No digest may start while the cogs unload and the HTTP session closes.
            scheduler.pause()
            scheduler.shutdown(wait=False)
        await super().close()

    async def on_ready(self) -> None:
        log.info("Connected to Discord as %s (%s guilds)", self.user, len(self.guilds))


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """The same bot on the shards ``discord.shard_count``/``shard_ids`` name: discord.py opens one gateway
    connection per shard and Discord sends each only its guilds' events. With ``shard_count`` given,
    discord.py asks no ``GET /gateway/bot`` and connects to ``discord.gateway_url``."""

    @staticmethod
    def gateway_options(shards: ShardPlan) -> dict[str, Any]:
        return {"shard_count": shards.shard_count, "shard_ids": list(shards.shard_ids)}
