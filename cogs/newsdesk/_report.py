"""Pictures in /newsdesk: the 24-hour chart beside /newsdesk status, and /newsdesk report period: week.

Charts are drawn by ``bot.charts.build`` on the store's side threads (``run_concurrent``), off the event loop;
the answer is deferred first, since drawing may take seconds on a loaded machine. A chart that cannot be drawn
never costs the text: the status goes out without its picture, and the failure is logged.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord

from bot.charts.build import Chart, server_chart
from bot.status import channel_names
from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)
STATUS_FILE = "status.png"
WEEK_FILE = "week.png"


async def server_picture(bot: NewsBot, guild_id: int, kind: str) -> Chart | None:
    """This server's chart, or None (logged) when it could not be drawn."""
    try:
        return await bot.store.run_concurrent(
            server_chart,
            kind,
            bot.store,
            guild_id,
            bot.cached_channel_guilds(guild_id),
            names=channel_names(bot.config.channels),
            tz=ZoneInfo(bot.config.scheduler.timezone),
        )
    except Exception:
        log.exception("Could not draw the %s chart for server %s", kind, guild_id)
        return None


def with_picture(embed: dict[str, Any], chart: Chart | None, filename: str) -> dict[str, Any]:
    """The embed's fields plus the picture (``attachment://``), when there is one."""
    fields: dict[str, Any] = {"embed": discord.Embed.from_dict(embed)}
    if chart is not None:
        fields["embed"].set_image(url=f"attachment://{filename}")
        fields["file"] = discord.File(io.BytesIO(chart.png), filename=filename)
    return fields


async def send_status(bot: NewsBot, interaction: discord.Interaction, embed: dict[str, Any]) -> None:
    """The status embed with the 24-hour chart under it and the chart's one line as the message's text."""
    assert interaction.guild_id is not None
    chart = await server_picture(bot, interaction.guild_id, "status")
    await tell(interaction, chart.summary if chart else None, **with_picture(embed, chart, STATUS_FILE))


async def send_report(bot: NewsBot, interaction: discord.Interaction, period: str) -> None:
    """/newsdesk report: one picture of this server's week and a short text."""
    await defer(interaction)
    assert interaction.guild_id is not None
    if period != "week":
        await tell(interaction, f"Option `period`: only `week` is available, not {period!r}.")
        return
    chart = await server_picture(bot, interaction.guild_id, "week")
    if chart is None:
        await tell(interaction, "The weekly report could not be drawn; the bot's log says why.")
        return
    embed = {"title": "Newsdesk: the week", "description": chart.summary, "color": 0x2B6CB0}
    await tell(interaction, **with_picture(embed, chart, WEEK_FILE))
