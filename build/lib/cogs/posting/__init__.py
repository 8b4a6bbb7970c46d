"""Feed posting: starts the pipeline with Discord as its sink when loaded, stops it when unloaded (no commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.posting._cog import Posting

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Posting(bot))
