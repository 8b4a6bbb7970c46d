"""What every following command and button shares: the member's cooldown, the server's switch, the closed-DMs
notice told once, the follow itself, and topic/provider autocomplete from /news's catalog."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cooldowns import Cooldowns
from bot.options import OptionError
from bot.personal.follows import CLOSED_DMS, TURNED_OFF, added_text, parse_follow
from bot.render import news_pages
from bot.search.service import SearchService
from bot.store.errors import StoreError
from bot.store.personal_tables import FollowKind, FollowMode
from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)

# Per member, like /news, but a larger burst: tidying a list is a quick run of Unfollow clicks (up to 24 buttons),
# while a script still waits; autocomplete has its own budget.
COMMAND_BURST, COMMAND_PER_SECOND = 20, 2.0
TYPING_BURST, TYPING_PER_SECOND = 40, 4.0
BUTTON_TOPIC_CUT = 70  # the Follow button's custom_id carries at most this much of the topic


class FollowDesk:
    """One per bot, made in the extension's ``setup``; the cogs and the story buttons share it."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.store = bot.store
        self.personal = bot.config.personal
        self.cooldowns = Cooldowns(burst=COMMAND_BURST, per_second=COMMAND_PER_SECOND)
        self.typing = Cooldowns(burst=TYPING_BURST, per_second=TYPING_PER_SECOND)

    async def start(self, interaction: discord.Interaction) -> str | None:
        """Every command and click begins here: None when over the member's budget (they were told), else the
        closed-DMs notice to put before the answer ("" when there is none). The answer is deferred."""
        wait = self.cooldowns.take(interaction.user.id)
        if wait:
            when = math.ceil(time.time() + wait)
            await tell(interaction, f"You're changing follows faster than I can keep up: try again <t:{when}:R>.")
            return None
        await defer(interaction)
        told = await self.store.run_concurrent(self.store.follows.closed_dms_notice, interaction.user.id)
        return f"{CLOSED_DMS}\n" if told else ""

    async def enabled_here(self, guild_id: int | None) -> bool:
        """Following in this server (its admins' /newsdesk personal, else personal.enabled); in DMs the config."""
        if guild_id is None:
            return self.personal.enabled
        return await self.store.run_concurrent(self.store.follows.guild_enabled, guild_id, self.personal.enabled)

    async def follow(
        self, interaction: discord.Interaction, kind: FollowKind, text: str, mode: FollowMode, option: str
    ) -> str:
        """Follow for the member who asked; the answer's text (why not, when it was refused)."""
        if not await self.enabled_here(interaction.guild_id):
            return TURNED_OFF
        try:
            target = parse_follow(kind, text, option)
        except OptionError as exc:
            return str(exc)
        result = await self.store.run_concurrent(
            self.store.follows.add,
            interaction.user.id,
            target.kind,
            target.norm,
            target.value,
            mode,
            interaction.guild_id,
            max_follows=self.personal.max_follows_per_member,
        )
        return added_text(target.kind, target.value, result.outcome, result.count, result.limit, mode.value)

    # -- the /news catalog ---------------------------------------------------------------------------------------

    def catalog(self) -> SearchService | None:
        """/news's search service, whose in-memory catalog its cog keeps fresh: one catalog for both commands."""
        service = getattr(self.bot.get_cog("News"), "service", None)
        return service if isinstance(service, SearchService) else None

    async def suggest(
        self, interaction: discord.Interaction, kind: FollowKind, current: str
    ) -> list[app_commands.Choice[str]]:
        service = self.catalog()
        if service is None or self.typing.take(interaction.user.id):
            return []
        suggest: Callable[[str], list[tuple[str, int]]] = (
            service.topic_suggestions if kind is FollowKind.TOPIC else service.provider_suggestions
        )
        try:
            suggestions = await self.store.run_concurrent(suggest, current)
        except StoreError as exc:
            log.warning("/follow autocomplete failed: %s", exc)
            return []
        choices = (news_pages.choice(name, count) for name, count in suggestions)
        return [app_commands.Choice(name=label, value=value) for label, value in filter(None, choices)]

    async def full_topic(self, topic: str) -> str:
        """A Follow button's topic, cut to fit its custom_id, back to the catalog's full name when it was cut."""
        service = self.catalog()
        if service is None or len(topic) < BUTTON_TOPIC_CUT:
            return topic
        catalog = await self.store.run_concurrent(service.catalog)
        cut = topic.casefold()
        return next((e.name for e in catalog.topics if e.norm.startswith(cut)), topic)


async def answer(interaction: discord.Interaction, notice: str, text: str, **fields: object) -> None:
    """The private answer, after the closed-DMs notice when there is one."""
    await tell(interaction, f"{notice}{text}", **fields)
