"""/newsdesk status and /newsdesk alerts: is anything wrong, and where the bot says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.render.status import render_embed
from bot.status import channel_names, guild_status_report
from cogs._checks import AdminCog
from cogs._respond import defer, tell
from cogs.newsdesk._personal import set_personal
from cogs.newsdesk._report import send_report, send_status
from cogs.newsdesk._top import PERIODS, top_report

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


class NewsdeskGroup(AdminCog, group_name="newsdesk", group_description="The bot's health and alerts"):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="status", description="Stories, scans, queues, failures and digests at a glance")
    async def status(self, interaction: discord.Interaction) -> None:
        """This server's part of the report only (bot.status.for_guild); the whole deployment is the CLI's."""
        assert interaction.guild_id is not None  # AdminCog is guild-only
        await defer(interaction)
        pipeline = self.bot.pipeline
        queues = {channel: backlog for channel, backlog, _sent, _failed in pipeline.queue_stats()} if pipeline else {}
        scheduler = self.bot.scheduler
        next_runs = None
        if scheduler is not None and scheduler.running:
            next_runs = {job.id: job.next_run_time and job.next_run_time.timestamp() for job in scheduler.get_jobs()}
        guild_id = interaction.guild_id
        report = await self.bot.store.run_concurrent(
            guild_status_report,
            self.bot.store,
            guild_id,
            self.bot.cached_channel_guilds(guild_id),
            home=guild_id == self.bot.config.discord.home_guild,
            queues=queues,
            next_runs=next_runs,
            embargo=self.bot.config.articles.embargo,
            names=channel_names(self.bot.config.channels),
        )
        await send_status(self.bot, interaction, render_embed(report))

    @app_commands.command(name="report", description="This server's week in one picture: posts, topics, discussion")
    @app_commands.describe(period="The period the report covers")
    @app_commands.choices(period=[app_commands.Choice(name="week", value="week")])
    async def report(self, interaction: discord.Interaction, period: app_commands.Choice[str]) -> None:
        await send_report(self.bot, interaction, period.value)

    @app_commands.command(name="top", description="The most discussed stories per channel of this server")
    @app_commands.describe(period="day (the last 24 hours) or week (the last 7 days)")
    @app_commands.choices(period=[app_commands.Choice(name=p, value=p) for p in PERIODS])
    async def top(self, interaction: discord.Interaction, period: app_commands.Choice[str]) -> None:
        assert interaction.guild_id is not None  # AdminCog is guild-only
        await defer(interaction)
        embed = await top_report(self.bot, interaction.guild_id, period.value)
        await tell(interaction, embed=discord.Embed.from_dict(embed))

    @app_commands.command(name="alerts", description="Choose the channel where the bot reports problems")
    @app_commands.describe(channel="The alerts channel (leave empty to stop alerts in this server)")
    async def alerts(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await defer(interaction)
        assert interaction.guild_id is not None
        await self.bot.store.run_concurrent(
            self.bot.store.newsroom.set_alert_channel, interaction.guild_id, channel and channel.id
        )
        if channel is None:
            message = "Alerts are off for this server (the config file's `alerts.channel` still gets them)."
        else:
            message = f"Problems will be reported in <#{channel.id}>, at most once per problem per hour."
        await tell(interaction, message)

    @app_commands.command(name="personal", description="Let members follow news for their own DMs in this server")
    @app_commands.describe(enabled="Off: /follow is refused here and the follows made here stop")
    async def personal(self, interaction: discord.Interaction, enabled: bool) -> None:
        await set_personal(self.bot, interaction, enabled)
