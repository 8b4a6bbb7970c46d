"""/newsdesk report schedule: the server's weekly report to its alerts channel, every Monday 09:00 (on, off), or
this week's now: the scheduled job's own ``post_week``, so the week's claim keeps it to one post either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

SCHEDULE_HELP = "on/off: this server's week to its alerts channel every Monday 09:00; now: this week's, once"
SCHEDULE_CHOICES = [app_commands.Choice(name=v, value=v) for v in ("on", "off", "now")]
NEEDS_ALERTS = "The weekly report goes to this server's alerts channel: choose one with `/newsdesk alerts` first."


async def set_weekly(bot: NewsBot, interaction: discord.Interaction, period: str, schedule: str) -> None:
    await defer(interaction)
    assert interaction.guild_id is not None  # AdminCog is guild-only
    guild_id = interaction.guild_id
    if period != "week":
        await tell(interaction, f"Option `period`: only `week` is available, not {period!r}.")
        return
    if bot.feed is None:
        await tell(interaction, "Option `schedule`: the weekly report is not available in this mode.")
        return
    reporter = bot.feed.weekly
    weekly = bot.store.weekly
    if schedule == "off":
        await bot.store.run_concurrent(weekly.set_enabled, guild_id, False)
        await tell(interaction, "The weekly report is off for this server.")
        return
    target = await reporter.target_of(guild_id)
    if target is None:
        await tell(interaction, f"Option `schedule`: {NEEDS_ALERTS}")
        return
    if schedule == "on":
        await bot.store.run_concurrent(weekly.set_enabled, guild_id, True)
        await tell(
            interaction,
            f"This server's week will be posted to <#{target.channel_id}> every Monday at 09:00 "
            f"({reporter.timezone}), with its picture. `schedule:now` posts this week's at once.",
        )
        return
    outcome = await reporter.post_week(target, reporter.week())
    if outcome.posted:
        message = f"This week's report is posted in <#{target.channel_id}>."
    elif outcome.why == "already":
        message = f"This week's report (week of {outcome.week}) was already posted; the next comes on Monday."
    else:
        message = f"Could not post the weekly report to <#{target.channel_id}>: {outcome.why}."
    await tell(interaction, message)
