"""/following (the member's follows, an Unfollow button each, Pause/Resume) and /unfollow (autocomplete of the
member's own follows)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.personal.follows import describe
from bot.store.follows import Follow
from bot.store.personal_tables import FollowKind
from cogs.follow._desk import FollowDesk, answer
from cogs.follow._views import FollowingView, listing

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)

# An /unfollow choice's value: "t:ai"; a value too long for Discord's 100 characters is matched by its text alone.
PREFIX = {FollowKind.TOPIC: "t:", FollowKind.PROVIDER: "p:", FollowKind.WORDS: "w:"}
CHOICE_LIMIT = 100


def choice_value(follow: Follow) -> str:
    value = PREFIX[follow.kind] + follow.norm
    return value if len(value) <= CHOICE_LIMIT else follow.norm[:CHOICE_LIMIT]


def find(follows: list[Follow], typed: str) -> Follow | None:
    """The follow an /unfollow value names: a choice's "t:ai", or the text the member typed (any kind)."""
    for follow in follows:
        if choice_value(follow) == typed:
            return follow
    text = " ".join(typed.split()).casefold()
    return next((f for f in follows if f.norm == text or (f.norm.startswith(text) and len(text) == CHOICE_LIMIT)), None)


class Following(commands.Cog):
    def __init__(self, bot: NewsBot, desk: FollowDesk) -> None:
        self.bot = bot
        self.desk = desk

    @app_commands.command(name="following", description="What you follow: unfollow, pause or resume")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def following(self, interaction: discord.Interaction) -> None:
        notice = await self.desk.start(interaction)
        if notice is None:
            return
        store = self.bot.store
        user = interaction.user.id
        follows = await store.run_concurrent(store.follows.of, user)
        settings = await store.run_concurrent(store.follows.settings, user)
        limit = self.bot.config.personal.max_follows_per_member
        view = FollowingView(self.desk, owner_id=user, origin=interaction, follows=follows, paused=settings.paused)
        await answer(interaction, notice, listing(follows, limit, settings.paused), view=view)

    @app_commands.command(name="unfollow", description="Stop following a topic, provider or words")
    @app_commands.describe(what="One of your follows")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def unfollow(self, interaction: discord.Interaction, what: app_commands.Range[str, 1, 100]) -> None:
        notice = await self.desk.start(interaction)
        if notice is None:
            return
        store = self.bot.store
        follows = await store.run_concurrent(store.follows.of, interaction.user.id)
        found = find(follows, what)
        if found is None:
            await answer(interaction, notice, f"`what`: you don't follow {what.strip()!r:.60}; /following lists yours.")
            return
        await store.run_concurrent(store.follows.remove, interaction.user.id, found.kind, found.norm)
        await answer(interaction, notice, f"You no longer follow {describe(found.kind, found.value)}.")

    @unfollow.autocomplete("what")
    async def _mine(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if self.desk.typing.take(interaction.user.id):
            return []
        store = self.bot.store
        follows = await store.run_concurrent(store.follows.of, interaction.user.id)
        typed = current.strip().casefold()
        return [
            app_commands.Choice(name=describe(f.kind, f.value)[:100], value=choice_value(f))
            for f in follows
            if typed in f.norm
        ][:25]
