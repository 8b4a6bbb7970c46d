from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from discord.ext import commands

from bot.weekly import jobs
from bot.weekly.schedule import missed

if TYPE_CHECKING:
    from bot.newsbot import NewsBot
    from bot.weekly.runner import WeeklyReporter

log = logging.getLogger(__name__)


class WeeklyCog(commands.Cog, name="Weekly report"):
    """Owns the weekly report's job while loaded. The digest cog (loaded first) has started the scheduler."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        # None under `newsdesk sync`, which only needs the commands.
        self.reporter: WeeklyReporter | None = bot.feed.weekly if bot.feed is not None else None
        self._catching_up: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        scheduler = self.bot.scheduler
        if scheduler is None or self.reporter is None:
            return
        config = self.bot.config.scheduler
        jobs.attach(self.reporter)
        created = jobs.ensure_job(scheduler, config.timezone, grace_seconds=config.digest_grace_seconds)
        log.info("Weekly report: scheduled for Mondays 09:00 (%s)%s", config.timezone, " (job created)" * created)
        # The scheduler may have fired a run missed during downtime before this cog attached its reporter;
        # posting the latest run here if it is within the grace covers that (the week's claim keeps it once).
        # Past the grace, only this week's reports an earlier process died posting are finished.
        late = missed(datetime.now(UTC), ZoneInfo(config.timezone), config.digest_grace_seconds)
        self._catching_up = asyncio.create_task(self._catch_up(self.reporter, late), name="weekly-catch-up")

    async def _catch_up(self, reporter: WeeklyReporter, late: bool) -> None:
        await self.bot.wait_until_ready()
        try:
            await (reporter.run_scheduled() if late else reporter.resume_orphans())
        except Exception:
            log.exception("The weekly report missed during downtime could not be posted")

    async def cog_unload(self) -> None:
        if self.reporter is None:
            return
        jobs.detach(self.reporter)
        if self._catching_up is not None:
            self._catching_up.cancel()
            await asyncio.gather(self._catching_up, return_exceptions=True)
