"""Scheduled digests: the /digest admin commands and the cog that keeps the digest jobs running."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.digest._cog import DigestCog
from cogs.digest._group import DigestGroup

if TYPE_CHECKING:
    from bot.newsbot import NewsBot


async def setup(bot: NewsBot) -> None:
    cog = DigestCog(bot)
    await bot.add_cog(cog)
    await bot.add_cog(DigestGroup(cog))
