"""/follow topic|provider|words|settings|forget: a member's own news, set up from a server or from DMs with the bot
(a user install). Every answer is private; only the member's id is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.options import OptionError
from bot.personal.follows import forgotten_text
from bot.personal.settings import SettingsInput, describe, parse_settings
from bot.store.personal_tables import FollowKind, FollowMode
from bot.timezones import suggest_timezones
from cogs.follow._desk import FollowDesk, answer

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

MODES = [app_commands.Choice(name="instant: a DM as soon as it is published", value="instant")]
MODES.append(app_commands.Choice(name="digest: in my personal digest", value="digest"))
MODE_HELP = "instant (a DM each, the default) or digest (your personal digest)"


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class FollowGroup(commands.GroupCog, group_name="follow", group_description="Get the news you follow in your DMs"):
    def __init__(self, bot: NewsBot, desk: FollowDesk) -> None:
        self.bot = bot
        self.desk = desk

    async def _follow(
        self, interaction: discord.Interaction, kind: FollowKind, value: str, mode: app_commands.Choice[str] | None
    ) -> None:
        notice = await self.desk.start(interaction)
        if notice is None:
            return
        chosen = FollowMode(mode.value) if mode is not None else FollowMode.INSTANT
        await answer(interaction, notice, await self.desk.follow(interaction, kind, value, chosen, kind.value))

    @app_commands.command(name="topic", description="Follow a topic: its new stories come to your DMs")
    @app_commands.describe(topic="A topic, e.g. AI", mode=MODE_HELP)
    @app_commands.choices(mode=MODES)
    async def topic(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 100],
        mode: app_commands.Choice[str] | None = None,
    ) -> None:
        await self._follow(interaction, FollowKind.TOPIC, topic, mode)

    @app_commands.command(name="provider", description="Follow a provider: its new stories come to your DMs")
    @app_commands.describe(provider="A provider's name, e.g. Wire Desk", mode=MODE_HELP)
    @app_commands.choices(mode=MODES)
    async def provider(
        self,
        interaction: discord.Interaction,
        provider: app_commands.Range[str, 1, 100],
        mode: app_commands.Choice[str] | None = None,
    ) -> None:
        await self._follow(interaction, FollowKind.PROVIDER, provider, mode)

    @app_commands.command(name="words", description="Follow words or a phrase: stories that contain them")
    @app_commands.describe(words="Whole words or a phrase, e.g. quantum computing", mode=MODE_HELP)
    @app_commands.choices(mode=MODES)
    async def words(
        self,
        interaction: discord.Interaction,
        words: app_commands.Range[str, 1, 100],
        mode: app_commands.Choice[str] | None = None,
    ) -> None:
        await self._follow(interaction, FollowKind.WORDS, words, mode)

    @topic.autocomplete("topic")
    async def _topics(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.desk.suggest(interaction, FollowKind.TOPIC, current)

    @provider.autocomplete("provider")
    async def _providers(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.desk.suggest(interaction, FollowKind.PROVIDER, current)

    @app_commands.command(name="settings", description="Your daily cap, digest time, time zone and quiet hours")
    @app_commands.describe(
        daily_cap="Instant DMs a day at most (1-500); the rest goes into your digest",
        digest_time="When your personal digest comes, HH:MM (off: no digest)",
        timezone="Your IANA time zone, e.g. Europe/Berlin",
        days="Digest days: daily, weekdays, weekends or mon,wed,fri",
        quiet="No DMs between these times, e.g. 22:00-07:00 (off: none)",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        daily_cap: int | None = None,
        digest_time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[str, 1, 60] | None = None,
        quiet: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        notice = await self.desk.start(interaction)
        if notice is None:
            return
        typed = SettingsInput(daily_cap=daily_cap, digest_time=digest_time, timezone=timezone, days=days, quiet=quiet)
        try:
            changes = parse_settings(typed)
        except OptionError as exc:
            await answer(interaction, notice, str(exc))
            return
        follows = self.bot.store.follows
        user = interaction.user.id
        if typed.empty:
            current = await self.bot.store.run_concurrent(follows.settings, user)
            lead = "Your settings:"
        else:
            current = await self.bot.store.run_concurrent(follows.set_settings, user, changes)
            lead = "Saved. Your settings now:"
        lines = describe(
            current,
            default_cap=self.bot.config.personal.default_daily_cap,
            default_timezone=self.bot.config.scheduler.timezone,
        )
        await answer(interaction, notice, "\n".join([lead, *(f"- {line}" for line in lines)]))

    @settings.autocomplete("timezone")
    async def _timezones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in suggest_timezones(current)]

    @app_commands.command(name="forget", description="Delete everything Newsdesk stores about you, at once")
    async def forget(self, interaction: discord.Interaction) -> None:
        notice = await self.desk.start(interaction)
        if notice is None:
            return
        gone = await self.bot.store.run_concurrent(self.bot.store.follows.forget, interaction.user.id)
        # The notice was about a pause that no longer exists: the answer says what was deleted, nothing else.
        await answer(interaction, "", forgotten_text(gone.follows, gone.settings, gone.deliveries))
