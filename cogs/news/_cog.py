from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cooldowns import Cooldowns
from bot.render import news_pages
from bot.search.service import SearchRequest, SearchService
from bot.search.sorting import Sort
from bot.signal.ranking import SignalRanker
from bot.store.errors import StoreError
from cogs._respond import reply, run_or_defer, slow_down
from cogs.news._views import ResultsView

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)

# How often the autocomplete catalog checks for changed stories (it rebuilds only if there are any).
CATALOG_REFRESH_SECONDS = 5.0
# Per member: a burst of 10 commands or button clicks, then one a second (a person paging never waits, a script
# does); autocomplete sends a request per keystroke, so it has a larger budget of its own.
COMMAND_BURST, COMMAND_PER_SECOND = 10, 1.0
TYPING_BURST, TYPING_PER_SECOND = 40, 4.0


class News(commands.Cog):
    """/news: members search the archive of published stories."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        reads = bot.store.signal_reads
        self.service = SearchService(
            bot.store,
            refresh_every=CATALOG_REFRESH_SECONDS,
            embargo=bot.config.articles.embargo,
            ranker=SignalRanker(reads.totals, reads.engaged),
        )
        self.cooldowns = Cooldowns(burst=COMMAND_BURST, per_second=COMMAND_PER_SECOND)
        self.typing = Cooldowns(burst=TYPING_BURST, per_second=TYPING_PER_SECOND)

    async def cog_load(self) -> None:
        if self.bot.pipeline is None:
            return  # `newsdesk sync` only needs the command tree
        self.refresh_catalog.start()

    async def cog_unload(self) -> None:
        self.refresh_catalog.cancel()

    @tasks.loop(seconds=CATALOG_REFRESH_SECONDS)
    async def refresh_catalog(self) -> None:
        try:
            await self.bot.store.run_concurrent(self.service.refresh)
        except Exception:
            log.exception("Could not refresh the /news topic and provider counts")

    @app_commands.command(name="news", description="Find published stories by topic, text, provider and date")
    # Members may add the bot to their own account and search in its DMs (or any DM): nothing here needs a server.
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(
        topic="A topic, e.g. AI",
        query="Words to look for in titles, excerpts, providers and topics",
        provider="Only stories from this provider",
        days="Only stories published in the last N days",
        public="Post the results in the channel for everyone (default: only you see them)",
        sort="latest (default), discussed (reactions and replies, recent ones first), or relevant",
    )
    @app_commands.choices(sort=[app_commands.Choice(name=s.value, value=s.value) for s in Sort])
    async def news(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 100] | None = None,
        query: app_commands.Range[str, 1, 500] | None = None,
        provider: app_commands.Range[str, 1, 100] | None = None,
        days: app_commands.Range[int, 1, 3650] | None = None,
        public: bool = False,
        sort: app_commands.Choice[str] | None = None,
    ) -> None:
        wait = self.cooldowns.take(interaction.user.id)
        if wait:
            await interaction.response.send_message(slow_down(wait), ephemeral=True)
            return
        order = Sort(sort.value) if sort is not None else Sort.LATEST
        request = SearchRequest(topic=topic, query=query, provider=provider, days=days, sort=order)
        page = await run_or_defer(
            interaction, self.bot.store, self.service.search, request, update=False, ephemeral=not public
        )
        if not page.hits:
            await reply(interaction, update=False, content=news_pages.nothing_found(page))
            return
        view = ResultsView(
            self.service,
            page,
            owner_id=interaction.user.id,
            origin=interaction,
            public=public,
            cooldowns=self.cooldowns,
        )
        embed = discord.Embed.from_dict(news_pages.results_embed(page))
        await reply(interaction, update=False, ephemeral=not public, embed=embed, view=view)

    @news.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, self.service.topic_suggestions, current)

    @news.autocomplete("provider")
    async def provider_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, self.service.provider_suggestions, current)

    async def _choices(
        self, interaction: discord.Interaction, suggest: Callable[[str], list[tuple[str, int]]], current: str
    ) -> list[app_commands.Choice[str]]:
        if self.typing.take(interaction.user.id):
            return []  # over budget: no choices (an autocomplete can't carry a message)
        # Autocomplete cannot be deferred; the catalog is in memory, so this answers in microseconds once built.
        try:
            suggestions = await self.bot.store.run_concurrent(suggest, current)
        except StoreError as exc:
            log.warning("/news autocomplete failed: %s", exc)
            return []
        choices = (news_pages.choice(name, count) for name, count in suggestions)
        return [app_commands.Choice(name=label, value=value) for label, value in filter(None, choices)]
