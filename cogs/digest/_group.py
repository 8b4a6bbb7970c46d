"""/digest: schedule, list, remove, preview and run digests (server admins only)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.digest import replies
from bot.digest.jobs import job_id
from bot.digest_spec import RANKS, make_spec
from bot.options import OptionError
from bot.store.digests import DigestRow
from bot.timezones import suggest_timezones
from cogs._checks import AdminCog, admin_may_complete
from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.digest.runner import DigestRunner
    from cogs.digest._cog import DigestCog

log = logging.getLogger(__name__)
NOT_RUNNING = "Digests are not running in this process."


class DigestGroup(
    AdminCog, group_name="digest", group_description="Scheduled summaries of the news, one message instead of many"
):
    """The /digest commands; the jobs they schedule run in :class:`DigestCog`."""

    def __init__(self, cog: DigestCog) -> None:
        self.cog = cog

    @property
    def runner(self) -> DigestRunner:
        if self.cog.runner is None:
            raise app_commands.CheckFailure(NOT_RUNNING)
        return self.cog.runner

    @app_commands.command(name="schedule", description="Create a digest, or replace the one with the same name")
    @app_commands.describe(
        name="A short name, e.g. morning-briefing; the same name again replaces it",
        channel="Where the digest is posted",
        time="When, as HH:MM on a 24-hour clock, e.g. 09:00",
        days="daily (default), weekdays, weekends, or days like mon,wed,fri",
        timezone="An IANA time zone, e.g. Europe/Vienna (default from the bot's config)",
        topics="Comma-separated topics, e.g. AI, Security (empty = every topic)",
        min_quality="Only stories with at least this quality (0-100)",
        max_items="At most this many stories (1-25, default 10)",
        min_items="Skip the run, silently, when fewer new stories match (default 1)",
        cron="Advanced, instead of time and days: five cron fields, e.g. 0 9 * * mon-fri",
        rank="default (quality and heat) or discussed (reactions and replies, with a Most discussed section)",
    )
    @app_commands.choices(rank=[app_commands.Choice(name=r, value=r) for r in RANKS])
    async def schedule(
        self,
        interaction: discord.Interaction,
        name: str,
        channel: discord.TextChannel,
        time: str | None = None,
        days: str | None = None,
        timezone: str | None = None,
        topics: str | None = None,
        min_quality: app_commands.Range[int, 0, 100] = 0,
        max_items: app_commands.Range[int, 1, 25] = 10,
        min_items: app_commands.Range[int, 1, 100] = 1,
        cron: str | None = None,
        rank: app_commands.Choice[str] | None = None,
    ) -> None:
        await defer(interaction)
        assert interaction.guild_id is not None  # AdminCog is guild-only
        if self.cog.runner is None:
            raise app_commands.CheckFailure(NOT_RUNNING)
        try:
            spec = make_spec(
                name=name,
                channel_id=channel.id,
                time=time,
                days=days,
                cron=cron,
                timezone=timezone,
                topics=topics,
                min_quality=min_quality,
                max_items=max_items,
                min_items=min_items,
                rank=rank.value if rank is not None else None,
                default_timezone=self.cog.bot.config.scheduler.timezone,
            )
        except OptionError as exc:
            await tell(interaction, replies.option_error(exc))
            return
        existing = await self.cog.find(interaction.guild_id, spec.name)
        if existing is not None and existing.from_config:
            await tell(interaction, replies.config_owned_text(existing))
            return
        row, next_run = await self.cog.save(interaction.guild_id, spec)
        log.info("%s scheduled digest %r (%s) for channel %s", interaction.user.id, spec.name, row.id, channel.id)
        await tell(
            interaction,
            replies.scheduled_text(row, next_run, replaced=existing is not None, warning=_permission_warning(channel)),
        )

    @schedule.autocomplete("timezone")
    async def _timezones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not admin_may_complete(interaction):
            return []
        return [app_commands.Choice(name=n, value=n) for n in suggest_timezones(current)]

    @app_commands.command(name="list", description="The digests of this server, with their next run")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rows = await self.cog.digests_in(interaction.guild_id)
        next_runs = self.cog.next_runs()
        lines = [replies.digest_line(r, next_runs.get(job_id(r.id))) for r in rows]
        embed = discord.Embed(title="Digests", description=replies.list_text(lines), color=0x2F855A)
        await tell(interaction, embed=embed)

    @app_commands.command(name="remove", description="Delete a digest and its schedule")
    @app_commands.describe(name="The digest's name")
    async def remove(self, interaction: discord.Interaction, name: str) -> None:
        await defer(interaction)
        row = await self._lookup(interaction, name)
        if row is None:
            return
        if row.from_config:
            await tell(interaction, replies.config_owned_text(row))
            return
        await self.cog.remove(row)
        log.info("%s removed digest %r (%s)", interaction.user.id, row.spec.name, row.id)
        await tell(interaction, f"Removed digest **{row.spec.name}**.")

    @app_commands.command(name="preview", description="See, privately, exactly what the digest would post now")
    @app_commands.describe(name="The digest's name")
    async def preview(self, interaction: discord.Interaction, name: str) -> None:
        await defer(interaction)
        row = await self._lookup(interaction, name)
        if row is None:
            return
        plan = await self.runner.preview(row.id)
        if plan is None or plan.skipped:
            text = replies.skipped_text(plan) if plan else "That digest was removed meanwhile."
            await tell(interaction, text)
            return
        for number, message in enumerate(plan.messages):
            await tell(
                interaction,
                replies.preview_header(plan) if number == 0 else "",
                embeds=[discord.Embed.from_dict(e) for e in message.payload["embeds"]],
                allowed_mentions=discord.AllowedMentions.none(),
            )

    @app_commands.command(name="run", description="Post the digest now; it counts as a run")
    @app_commands.describe(name="The digest's name")
    async def run(self, interaction: discord.Interaction, name: str) -> None:
        await defer(interaction)
        row = await self._lookup(interaction, name)
        if row is None:
            return
        outcome = await self.runner.run(row.id, reason=f"/digest run by {interaction.user.id}")
        await tell(interaction, replies.outcome_text(outcome, row.spec.channel_id))

    @remove.autocomplete("name")
    @preview.autocomplete("name")
    @run.autocomplete("name")
    async def _names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not admin_may_complete(interaction):
            return []
        names = [r.spec.name for r in await self.cog.digests_in(interaction.guild_id)]
        typed = current.strip().lower()
        return [app_commands.Choice(name=n, value=n) for n in names if typed in n][:25]

    async def _lookup(self, interaction: discord.Interaction, name: str) -> DigestRow | None:
        assert interaction.guild_id is not None
        row = await self.cog.find(interaction.guild_id, name)
        if row is None:
            await tell(interaction, replies.not_found_text(name))
        return row


def _permission_warning(channel: discord.TextChannel) -> str:
    me = channel.guild.me
    if me is None:
        return ""
    permissions = channel.permissions_for(me)
    if permissions.send_messages and permissions.embed_links:
        return ""
    return "\n⚠️ I can't post embeds there yet: give me Send Messages and Embed Links in that channel."
