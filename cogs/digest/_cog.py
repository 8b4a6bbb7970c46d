from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.digest import jobs
from bot.digest.runner import DigestRunner
from bot.digest.spec import DigestSpec
from bot.store.digests import DigestRow

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.newsbot import NewsBot

log = logging.getLogger(__name__)


class DigestCog(commands.Cog, name="Digests"):
    """Owns the digest jobs while loaded: syncs the config file's digests into the table, rebuilds the jobs
    from it, and lets the scheduler run them; on unload it stops them and lets a run in flight finish."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.digests = bot.store.digests
        self.runner: DigestRunner | None = None
        self._resuming: asyncio.Task[None] | None = None

    @property
    def grace_seconds(self) -> int:
        return self.bot.config.scheduler.digest_grace_seconds

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        return self.bot.scheduler if self.runner is not None else None

    async def cog_load(self) -> None:
        scheduler = self.bot.scheduler
        if scheduler is None or self.bot.pipeline is None:
            return  # `newsdesk sync` only needs the commands
        bot = self.bot
        self.runner = DigestRunner(
            bot.store,
            bot.sink,
            on_failure=bot.alerter.digest_failed,
            embargo=bot.config.articles.embargo,
            member_id=bot.member_id or f"digests:{uuid.uuid4().hex[:12]}",
            exclusive=bot.store.single_process,
            history=bot.sink,
            author_id=lambda: bot.user.id if bot.user is not None else None,
        )
        config_rows = await self.bot.store.run_concurrent(self.digests.sync_config, self.bot.config.digests)
        # Paused while the jobs are reconciled, so a run missed during downtime fires once, against current jobs.
        if scheduler.running:
            scheduler.pause()
        else:
            scheduler.start(paused=True)
        rows = [r for r in await self.bot.store.run_concurrent(self.digests.all) if self.owns(r)]
        created = jobs.reconcile_jobs(scheduler, rows, grace_seconds=self.grace_seconds)
        jobs.attach(self.runner)
        scheduler.resume()
        self._resuming = asyncio.create_task(self._resume_forever(self.runner), name="digest-resume")
        log.info(
            "Digests: %d scheduled (%d from the config file, %d jobs created or updated)",
            len(rows),
            len(config_rows),
            created,
        )

    async def cog_unload(self) -> None:
        if self.runner is None:
            return
        scheduler = self.bot.scheduler
        if scheduler is not None and scheduler.running:
            scheduler.pause()
        jobs.detach(self.runner)
        if self._resuming is not None:
            self._resuming.cancel()
            await asyncio.gather(self._resuming, return_exceptions=True)
        await self.runner.aclose(timeout=15)

    async def _resume_forever(self, runner: DigestRunner) -> None:
        """Once connected, and then every heartbeat: finish the runs of our digests whose claimer died mid-post
        (a claimer counts as dead three heartbeats after its last one, so a restart finds its own old runs)."""
        await self.bot.wait_until_ready()
        while True:
            try:
                rows = await self.bot.store.run_concurrent(self.digests.all)
                await runner.resume_orphans([r.id for r in rows if self.owns(r)])
            except Exception:
                log.exception("Could not resume the digest runs left by a stopped process; trying again")
            await asyncio.sleep(self.bot.config.heartbeat_seconds)

    def owns(self, row: DigestRow) -> bool:
        """Whether this process schedules the digest: its guild (a config digest: its channel's) is on our shards."""
        if row.from_config:
            return self.bot.owns_channel(row.spec.channel_id)
        return self.bot.config.discord.shards.owns_guild(row.guild_id)

    # -- used by the commands -------------------------------------------------------------------------------

    def visible_in(self, guild_id: int, rows: list[DigestRow]) -> list[DigestRow]:
        """The server's own digests, and config-file digests whose channel is in that server."""
        return [
            r
            for r in rows
            if r.guild_id == guild_id or (r.from_config and self.bot.guild_of(r.spec.channel_id) == guild_id)
        ]

    async def digests_in(self, guild_id: int) -> list[DigestRow]:
        return self.visible_in(guild_id, await self.bot.store.run_concurrent(self.digests.all))

    async def find(self, guild_id: int, name: str) -> DigestRow | None:
        wanted = name.strip().lower()
        return next((r for r in await self.digests_in(guild_id) if r.spec.name == wanted), None)

    def next_runs(self) -> dict[str, datetime | None]:
        if self.scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    async def save(self, guild_id: int, spec: DigestSpec) -> tuple[DigestRow, datetime | None]:
        row = await self.bot.store.run_concurrent(self.digests.save, guild_id, spec)
        next_run = None
        if self.scheduler is not None:
            job = jobs.schedule_job(self.scheduler, row, grace_seconds=self.grace_seconds)
            next_run = job.next_run_time
        return row, next_run

    async def remove(self, row: DigestRow) -> None:
        await self.bot.store.run_concurrent(self.digests.remove, row.id)
        if self.scheduler is not None:
            jobs.unschedule_job(self.scheduler, row.id)
