"""Posting the weekly report: which servers get one, the once-per-week claim, drawing off the event loop, sending.

The scheduled job and ``/newsdesk report schedule:now`` both end in ``post_week``: claim (server, week), draw the
server's week, post it with the PNG, and record the message; a failed draw or send gives the claim back.

A claim still ``posting`` under a dead process (killed between claiming and recording) is taken over by the next
trigger: the report is looked for in the channel's recent messages first (its footer's marker), and recorded as
posted when found there, so a report Discord made before the crash is not posted twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.charts.build import Chart, server_chart, weekly_chart
from bot.cluster.adopt import HISTORY_LIMIT, History
from bot.send.errors import DeliveryError
from bot.store import Store
from bot.store.weekly import WeekTakeover
from bot.store.weekly_tables import DEPLOYMENT
from bot.weekly.report import FILENAME, find_report, weekly_nonce, weekly_payload, weekly_ref
from bot.weekly.schedule import week_key

log = logging.getLogger(__name__)

# (channel id, payload, filename, PNG, nonce) -> the message id Discord returned
PostFile = Callable[[int, dict[str, Any], str, bytes, str], Awaitable[int]]
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Target:
    guild_id: int  # DEPLOYMENT (0): the deployment's own report, to alerts.channel
    channel_id: int


@dataclass(frozen=True, slots=True)
class Outcome:
    target: Target
    week: str
    posted: bool
    message_id: int | None = None
    why: str = ""  # when not posted: "already" (this week's is claimed) or the failure
    adopted: bool = False  # found in the channel, posted by a process that died before recording it


class WeeklyReporter:
    def __init__(
        self,
        store: Store,
        post: PostFile,
        *,
        timezone: str,
        names: Mapping[int, str],
        cached_channels: Callable[[int], Mapping[int, int]],
        owns_guild: Callable[[int], bool],
        owns_channel: Callable[[int], bool],
        deployment_channel: int | None = None,
        member_id: str | None = None,
        exclusive: bool = False,
        history: History | None = None,
        author_id: Callable[[], int | None] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._store = store
        self._weekly = store.weekly
        self._db = store.run_concurrent
        self._post = post
        self.timezone = timezone
        self._tz = ZoneInfo(timezone)
        self._names = names
        self._cached = cached_channels  # the gateway's channel -> server of one server
        self._owns_guild = owns_guild  # the server is on this process's shards
        self._owns_channel = owns_channel
        # alerts.channel when alerts.weekly_report is on (posted by the process that owns that channel)
        self._deployment = deployment_channel
        # The claimer of our claims (``cluster_members.member_id``); ``exclusive``: SQLite, the only process, so a
        # claim still posting under any other id is an earlier life's. Without ``member_id`` nothing is taken over.
        self._member_id = member_id
        self._exclusive = exclusive
        self._history = history  # the channel's recent messages, to find a dead claimer's report
        self._author_id = author_id
        self._clock = clock

    def week(self) -> str:
        return week_key(datetime.fromtimestamp(self._clock(), UTC), self._tz)

    async def targets(self) -> list[Target]:
        """The opted-in servers on our shards that have an alerts channel, and the deployment's report."""
        opted = await self._db(self._weekly.opted_in)
        channels = await self._db(self._store.newsroom.alert_channels)
        found = [Target(g, channels[g]) for g in opted if g in channels and self._owns_guild(g)]
        if self._deployment is not None and self._owns_channel(self._deployment):
            found.append(Target(DEPLOYMENT, self._deployment))
        return found

    async def target_of(self, guild_id: int) -> Target | None:
        """The server's report target (its /newsdesk alerts channel), or None when it has none."""
        channel = (await self._db(self._store.newsroom.alert_channels)).get(guild_id)
        return None if channel is None else Target(guild_id, channel)

    async def run_scheduled(self) -> list[Outcome]:
        """The Monday job: this week's report to every target that has not had it yet."""
        week = self.week()
        outcomes = [await self.post_week(target, week) for target in await self.targets()]
        posted = sum(o.posted for o in outcomes)
        log.info("Weekly report %s: posted %d of %d", week, posted, len(outcomes))
        return outcomes

    async def resume_orphans(self) -> list[Outcome]:
        """At start-up past the grace: only this week's reports a dead process left half-posted."""
        week = self.week()
        outcomes = [await self._take_over(target, week) for target in await self.targets()]
        done = [o for o in outcomes if o is not None]
        if done:
            log.info("Weekly report %s: %d left posting by a dead process taken over", week, len(done))
        return done

    async def post_week(self, target: Target, week: str) -> Outcome:
        claimed = await self._db(
            self._weekly.claim, target.guild_id, week, channel_id=target.channel_id, member_id=self._member_id
        )
        if claimed:
            return await self._send(target, week)
        taken = await self._take_over(target, week)
        return taken if taken is not None else Outcome(target, week, posted=False, why="already")

    async def _take_over(self, target: Target, week: str) -> Outcome | None:
        """Finish a (server, week) whose claimer died mid-post; None when there is none to take over."""
        if self._member_id is None:
            return None
        claim = await self._db(
            self._weekly.take_over,
            target.guild_id,
            week,
            self._member_id,
            exclusive=self._exclusive,
        )
        if claim is None:
            return None
        found = await self._find_posted(claim, target, week)
        if found is None:
            log.warning(
                "Weekly report %s for server %s: taken over from %s, not found in the channel; posting it",
                week,
                target.guild_id,
                claim.previous or "an earlier process",
            )
            return await self._send(target, week)
        channel_id, message_id = found
        await self._db(self._weekly.finish, target.guild_id, week, message_id, channel_id=channel_id)
        log.info(
            "Weekly report %s: adopted message %s in channel %s (server %s), posted before %s died",
            week,
            message_id,
            channel_id,
            target.guild_id,
            claim.previous or "an earlier process",
        )
        return Outcome(Target(target.guild_id, channel_id), week, posted=True, message_id=message_id, adopted=True)

    async def _find_posted(self, claim: WeekTakeover, target: Target, week: str) -> tuple[int, int] | None:
        """(channel, message) of the report already in the channel the dead claimer posted to (history has no
        nonces), or None."""
        if self._history is None:
            return None
        channel_id = claim.channel_id if claim.channel_id is not None else target.channel_id
        try:
            recent = await self._history.recent_messages(channel_id, HISTORY_LIMIT)
        except Exception as exc:
            # Without the history we cannot tell: posting is the lesser harm (the nonce may still catch a repeat).
            log.warning("Weekly report %s: could not read channel %s's recent messages: %s", week, channel_id, exc)
            return None
        author = self._author_id() if self._author_id is not None else None
        message_id = find_report(recent, weekly_ref(target.guild_id, week), author_id=author)
        return None if message_id is None else (channel_id, message_id)

    async def _send(self, target: Target, week: str) -> Outcome:
        """Draw and post the claimed (server, week), and record the message."""
        try:
            # The gateway's cache is read here, on the event loop; the drawing runs on a side thread.
            cached = {} if target.guild_id == DEPLOYMENT else self._cached(target.guild_id)
            chart = await self._db(self._draw, target.guild_id, cached)
            payload = weekly_payload(chart.summary, week, self.timezone, weekly_ref(target.guild_id, week))
            nonce = weekly_nonce(target.guild_id, week)
            message_id = await self._post(target.channel_id, payload, FILENAME, chart.png, nonce)
        except DeliveryError as exc:
            return await self._give_back(target, week, exc.reason)
        except Exception as exc:
            log.exception("The weekly report for server %s could not be drawn", target.guild_id)
            return await self._give_back(target, week, f"could not draw it ({type(exc).__name__})")
        await self._db(self._weekly.finish, target.guild_id, week, message_id, channel_id=target.channel_id)
        log.info("Weekly report %s posted to channel %s (server %s)", week, target.channel_id, target.guild_id)
        return Outcome(target, week, posted=True, message_id=message_id)

    async def _give_back(self, target: Target, week: str, why: str) -> Outcome:
        log.error("Weekly report %s to channel %s not posted: %s", week, target.channel_id, why)
        await self._db(self._weekly.release, target.guild_id, week)
        return Outcome(target, week, posted=False, why=why)

    def _draw(self, guild_id: int, cached: Mapping[int, int]) -> Chart:
        """Blocking (reads the store, draws): run on the store's side threads, off the event loop."""
        if guild_id == DEPLOYMENT:
            return weekly_chart(self._store, names=self._names, tz=self._tz, now=self._clock())
        return server_chart("week", self._store, guild_id, cached, names=self._names, tz=self._tz, now=self._clock())
