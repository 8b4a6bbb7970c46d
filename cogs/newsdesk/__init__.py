"""/newsdesk: the bot's health (status) and where it reports problems (alerts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.newsdesk._group import NewsdeskGroup

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(NewsdeskGroup(bot))
