"""The scheduled weekly report's job: added to the digests' scheduler while this cog is loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.weekly._cog import WeeklyCog

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(WeeklyCog(bot))
