"""The DM sender: members' instant DMs, quiet-hours bundles, daily caps and personal digests, exactly once.

One loop looks at the DM ledger when woken (a story was planned) or when something held becomes due; each
member is served by one task at a time, which claims that member's due rows, decides at send time (so settings
changed after planning apply) and settles each row only after Discord confirmed the message carrying it.

The daily cap counts DM messages since the member's local midnight (a bundle or a digest is one). Over it, a
member with a personal digest gets the rest in it; anyone else gets one line, once the day is over (and quiet
hours allow), saying how many more stories came.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.digest.ranking import DigestCandidate, rank
from bot.personal import dm_messages
from bot.personal.windows import day_start, digest_due, digest_schedule, next_digest, quiet_until
from bot.send.errors import DeliveryError
from bot.store.dm_ledger import DmMember, DmRow
from bot.store.personal_tables import DmState

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
DMS_CLOSED, UNKNOWN_USER, UNKNOWN_CHANNEL = 50007, 10013, 10003
DAY = 86400.0


class DmPort(Protocol):
    """Discord's side (``bot.send.discord_sink.DiscordSink``): open a member's DM channel, post in it."""

    async def open_dm(self, user_id: int) -> int: ...
    async def post_dm(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int: ...


class DmSender:
    def __init__(
        self,
        store: Store,
        port: DmPort,
        *,
        member_id: str,
        exclusive: bool,
        default_cap: int,
        default_timezone: str,
        grace_seconds: float = 3600,
        keep_days: int = 30,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        workers: int = 8,
        retry_base: float = 2.0,
        max_attempts: int = 5,
        poll_seconds: float = 5.0,
        wake: asyncio.Event | None = None,
    ) -> None:
        """``exclusive``: SQLite (one process), where a claim left by another id is a dead run's. In a cluster
        every process runs a sender; the others learn of new rows by polling every ``poll_seconds``. ``wake``: set
        by the pipeline when it planned DMs. ``keep_days``: settled rows older than this are deleted (at the first
        pass, then once a day)."""
        self.store = store
        self.ledger = store.dm_ledger
        self.port = port
        self.member_id = member_id
        self.exclusive = exclusive
        self.default_cap = default_cap
        self.default_timezone = default_timezone
        self.grace_seconds = grace_seconds
        self.keep_days = keep_days
        self._pruned_at: float | None = None
        self.metrics = metrics
        self.clock = clock
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._slots = asyncio.Semaphore(workers)
        self._busy: set[int] = set()
        self._wake = wake or asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.store.run_concurrent(fn, *args, **kwargs)

    def wake(self) -> None:
        """New rows were planned: look now."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="dm-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = await self.run_once()
            except Exception:
                log.exception("The DM sender's pass failed; it looks again in %.0fs", self.poll_seconds)
                wait = self.poll_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.05, wait))

    async def run_once(self) -> float:
        """Serve every member with something due now; returns how long until the next look."""
        now = self.clock()
        await self._prune(now)
        users = await self.db(self.ledger.due_members, self.member_id, now, exclusive=self.exclusive)
        capped = await self.db(self.ledger.members_capped_untold, now)
        digests, next_run = await self._digests_due(now)
        jobs = [self._serve(u, digests.pop(u, None), u in capped) for u in dict.fromkeys([*users, *capped])]
        jobs += [self._serve(u, run, False) for u, run in digests.items()]
        await asyncio.gather(*jobs)
        upcoming = [t for t in (await self.db(self.ledger.next_due, now), next_run) if t is not None]
        wait = min([self.poll_seconds, *(t - self.clock() for t in upcoming)])
        # A full pass (more due members than one query returns) goes again at once.
        return 0.0 if len(users) >= 1000 else wait

    async def _prune(self, now: float) -> None:
        """Once a day (and at the first pass): the ledger keeps settled rows ``keep_days``, not forever."""
        if self._pruned_at is not None and now - self._pruned_at < DAY:
            return
        self._pruned_at = now
        try:
            deleted = await self.db(self.ledger.prune, self.keep_days, now)
        except Exception:
            log.exception("Could not delete old DM records; tried again in a day")
            return
        if deleted:
            log.info("Deleted %d DM records older than %d days", deleted, self.keep_days)

    async def _digests_due(self, now: float) -> tuple[dict[int, float], float | None]:
        due: dict[int, float] = {}
        soonest: float | None = None
        for member in await self.db(self.ledger.digest_members):
            try:
                schedule = digest_schedule(member.digest_time or "", member.digest_days, self._zone(member))
            except ValueError:
                continue  # the follow commands only store valid settings; an odd row is skipped, not fatal
            run = digest_due(schedule, member.last_digest_at or member.created_at, now)
            if run is not None:
                due[member.user_id] = run
            upcoming = next_digest(schedule, now)
            if upcoming is not None and (soonest is None or upcoming < soonest):
                soonest = upcoming
        return due, soonest

    def _zone(self, member: DmMember) -> str:
        return member.timezone or self.default_timezone

    async def _serve(self, user_id: int, digest_run: float | None, capped: bool) -> None:
        if user_id in self._busy:
            return  # its task is still at work; the next pass looks again
        self._busy.add(user_id)
        try:
            async with self._slots:
                await self._serve_member(user_id, digest_run, capped)
        except Exception:
            log.exception("Could not serve member %s's DMs; the next pass retries", user_id)
        finally:
            self._busy.discard(user_id)

    async def _serve_member(self, user_id: int, digest_run: float | None, capped: bool) -> None:
        now = self.clock()
        rows = await self.db(
            self.ledger.claim, self.member_id, user_id, now, state=DmState.POST, exclusive=self.exclusive
        )
        member = await self.db(self.ledger.member, user_id)
        if member.paused:
            await self.db(self.ledger.settle, [r.key for r in rows], DmState.CANCELLED)
            return
        channel: list[int | None] = [member.dm_channel_id]
        if digest_run is not None and not await self._digest(member, digest_run, channel):
            await self.db(self.ledger.settle, [r.key for r in rows], DmState.POST)  # released for later
            return
        until = quiet_until(now, member.quiet_start, member.quiet_end, self._zone(member))
        if until is not None:
            await self.db(self.ledger.hold, [r.key for r in rows], until)
            return
        if capped and not await self._tell_capped(member, now, channel):
            await self.db(self.ledger.settle, [r.key for r in rows], DmState.POST)
            return
        if rows:
            await self._instant(member, rows, now, channel)

    async def _instant(self, member: DmMember, rows: list[DmRow], now: float, channel: list[int | None]) -> None:
        cap = member.daily_cap or self.default_cap
        room = cap - await self.db(self.ledger.dms_since, member.user_id, day_start(now, self._zone(member)))
        messages = dm_messages.bundles([(r.story_id, r.story, r.reason) for r in rows])
        by_id = {r.story_id: r for r in rows}
        for n, (story_ids, payload) in enumerate(messages):
            chosen = [by_id[i] for i in story_ids]
            if n >= room:
                over = DmState.DIGEST if member.digest_time else DmState.CAPPED
                rest = [r.key for m in messages[n:] for r in (by_id[i] for i in m[0])]
                await self.db(self.ledger.settle, rest, over, due_at=now)
                return
            nonce = dm_messages.dm_nonce(member.user_id, "post", story_ids)
            if not await self._send(member, chosen, payload, nonce, channel):
                return

    async def _digest(self, member: DmMember, run: float, channel: list[int | None]) -> bool:
        """The member's personal digest for the run at ``run``; False when Discord refused it for good."""
        if not await self.db(self.ledger.take_digest_run, member.user_id, run):
            return True  # another process (or an earlier pass) has this run
        if self.clock() - run > self.grace_seconds:
            log.info("Member %s's digest of %s is past the grace period: skipped", member.user_id, run)
            return True
        now = self.clock()
        rows = await self.db(
            self.ledger.claim, self.member_id, member.user_id, now, state=DmState.DIGEST, exclusive=self.exclusive
        )
        if not rows:
            return True  # nothing collected: no DM
        ranked = rank(DigestCandidate(r.story_id, r.quality, r.heat, r.published_at, r.first_seen) for r in rows)
        by_id = {r.story_id: r for r in rows}
        entries = [(c.story_id, by_id[c.story_id].story) for c in ranked]
        start = member.last_digest_at or member.created_at
        for story_ids, payload in dm_messages.digest_dms(entries, window_start=start, window_end=now):
            nonce = dm_messages.dm_nonce(member.user_id, f"digest:{run:.0f}", story_ids)
            if not await self._send(member, [by_id[i] for i in story_ids], payload, nonce, channel):
                return False
        return True

    async def _tell_capped(self, member: DmMember, now: float, channel: list[int | None]) -> bool:
        midnight = day_start(now, self._zone(member))
        story_ids = await self.db(
            self.ledger.claim_capped_untold, self.member_id, member.user_id, midnight, now, exclusive=self.exclusive
        )
        if not story_ids:
            return True
        payload = dm_messages.capped_line(len(story_ids), member.daily_cap or self.default_cap)
        nonce = dm_messages.dm_nonce(member.user_id, "capped", story_ids)
        keys = [(s, member.user_id) for s in story_ids]
        return await self._send_keys(member, keys, payload, nonce, channel, settle_state=DmState.CAPPED)

    async def _send(
        self, member: DmMember, rows: Sequence[DmRow], payload: dict[str, Any], nonce: str, channel: list[int | None]
    ) -> bool:
        ok = await self._send_keys(member, [r.key for r in rows], payload, nonce, channel, settle_state=DmState.SENT)
        if ok and self.metrics is not None:
            for row in rows:
                self.metrics.on_dm("sent", changed_at=row.changed_at)
        return ok

    async def _send_keys(
        self,
        member: DmMember,
        keys: list[tuple[int, int]],
        payload: dict[str, Any],
        nonce: str,
        channel: list[int | None],
        *,
        settle_state: DmState,
    ) -> bool:
        """Post one message and settle its rows; False (rows settled or released by ``_refused``) on an error."""
        user_id = member.user_id
        try:
            dm_channel = channel[0]
            if dm_channel is None:
                dm_channel = channel[0] = await self.port.open_dm(user_id)
                await self.db(self.ledger.remember_channel, user_id, dm_channel)
            message_id = await self.port.post_dm(dm_channel, payload, nonce=nonce)
        except DeliveryError as exc:
            await self._refused(member, keys, exc, channel)
            return False
        await self.db(self.ledger.settle, keys, settle_state, message_id=message_id, sent_at=self.clock())
        return True

    async def _refused(
        self, member: DmMember, keys: list[tuple[int, int]], exc: DeliveryError, channel: list[int | None]
    ) -> None:
        user_id = member.user_id
        if exc.code == DMS_CLOSED:
            cancelled = await self.db(self.ledger.pause_closed, user_id, self.member_id)
            log.info("Member %s has closed their DMs: follows paused, %d DMs cancelled", user_id, cancelled)
            if self.metrics is not None:
                self.metrics.on_member_paused()
            return
        if exc.code == UNKNOWN_USER:
            await self.db(self.ledger.forget, user_id)
            log.info("Discord knows no user %s: their follows, settings and DMs are forgotten", user_id)
            return
        if exc.code == UNKNOWN_CHANNEL:
            channel[0] = None  # the remembered DM channel is gone: opened again on the retry
            await self.db(self.ledger.remember_channel, user_id, None)
        attempts = 1 + max((await self.db(self.ledger.attempts, keys)), default=0)
        if (exc.retryable or exc.code == UNKNOWN_CHANNEL) and attempts < self.max_attempts:
            until = self.clock() + self.retry_base * 2 ** (attempts - 1)
            await self.db(self.ledger.retry_later, keys, str(exc), until)
            log.warning("DM to member %s failed (%s); retrying in %.0fs", user_id, exc, until - self.clock())
            return
        await self.db(self.ledger.settle, keys, DmState.FAILED, last_error=str(exc)[:500], attempts=attempts)
        log.warning("DM to member %s failed for good after %d attempts: %s", user_id, attempts, exc)
        if self.metrics is not None:
            for _ in keys:
                self.metrics.on_dm("failed")
