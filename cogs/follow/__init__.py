"""/follow, /following, /unfollow and the Follow button on posted stories: members follow topics, providers and
words for their own DMs (sending them is ``bot/personal``'s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.follow._desk import FollowDesk
from cogs.follow._following import Following
from cogs.follow._group import FollowGroup
from cogs.follow._story import FollowTopicButton, FollowTopicSelect

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    desk = FollowDesk(bot)
    await bot.add_cog(FollowGroup(bot, desk))
    await bot.add_cog(Following(bot, desk))
    bot.add_dynamic_items(FollowTopicButton, FollowTopicSelect)
