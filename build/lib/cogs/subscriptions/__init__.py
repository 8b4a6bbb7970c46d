"""/subscribe and /unsubscribe: members opt in to a topic's role themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.subscriptions._cog import Subscriptions

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Subscriptions(bot))
