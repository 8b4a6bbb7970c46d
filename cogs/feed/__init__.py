"""Feed posting: runs the pipeline with Discord as its sink."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.feed._cog import Feed

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Feed(bot))
