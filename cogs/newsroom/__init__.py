"""Running the newsroom from Discord: /feed (routes, pings), /subscribe, /newsdesk (status, alerts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.newsroom._feed import FeedGroup
from cogs.newsroom._members import Subscriptions
from cogs.newsroom._status import NewsdeskGroup

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    bot.tree.add_command(FeedGroup(bot))
    bot.tree.add_command(NewsdeskGroup(bot))
    await bot.add_cog(Subscriptions(bot))


async def teardown(bot: NewsBot) -> None:
    bot.tree.remove_command("feed")
    bot.tree.remove_command("newsdesk")
