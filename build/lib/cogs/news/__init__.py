"""/news: members search the archive of published stories by topic, text, provider and date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.news._cog import News

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(News(bot))
