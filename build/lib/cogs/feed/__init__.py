"""/feed: admins choose which stories go to which channels, and which topics ping a role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.feed._group import FeedGroup

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    bot.tree.add_command(FeedGroup(bot))


async def teardown(bot: NewsBot) -> None:
    bot.tree.remove_command("feed")
