"""The community's signal: counts reactions on the bot's posts and replies in their threads (no commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.signal._cog import SignalListener

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    if bot.feed is not None:  # `newsdesk sync` has no feed: nothing to count
        await bot.add_cog(SignalListener(bot, bot.feed))
