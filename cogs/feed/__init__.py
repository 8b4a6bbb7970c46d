"""/feed: admins choose which stories go to which channels, and which topics ping a role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.feed._group import FeedGroup

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(FeedGroup(bot))
