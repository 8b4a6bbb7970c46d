"""Running a digest: plan it (window, candidates, ranking, messages), post it, and record it once Discord confirmed.

The window runs from the end of the digest's last complete run to now; a digest that never completed a run
looks back one period of its schedule (the interval between its last two run times). A story enters a run
only if this digest never delivered it, and it is recorded as delivered only after Discord returned the
message carrying it, in the same transaction as the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.digest.ranking import rank
from bot.digest.render import DigestMessage, build_digest_messages
from bot.send.sinks import DeliveryError, Poster
from bot.store.digests import DigestRow, DigestStore, RunStatus

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class DigestPlan:
    digest: DigestRow
    window_start: float
    window_end: float
    available: int  # new stories that matched the filters, before max_items
    messages: list[DigestMessage]

    @property
    def story_count(self) -> int:
        return sum(len(m.story_ids) for m in self.messages)

    @property
    def skipped(self) -> bool:
        return self.available < self.digest.spec.min_items or not self.messages


@dataclass(frozen=True, slots=True)
class RunOutcome:
    status: RunStatus
    stories: int = 0
    message_ids: tuple[int, ...] = ()
    error: str | None = None
    plan: DigestPlan | None = None


def digest_nonce(digest_id: int, story_ids: tuple[int, ...]) -> str:
    """Same digest and stories → same nonce, so Discord drops a resend after a crash between post and record."""
    blob = f"digest\x00{digest_id}\x00{','.join(map(str, story_ids))}"
    return hashlib.sha256(blob.encode()).hexdigest()[:25]


def scheduled_run_key(digest: DigestRow, now: float) -> str:
    """``scheduled:<epoch>`` of the latest scheduled time at or before ``now`` (a late run keeps its time)."""
    fire = digest.spec.schedule.last_run(datetime.fromtimestamp(now, UTC))
    return f"scheduled:{int(fire.timestamp()) if fire is not None else int(now)}"


class DigestRunner:
    """Plans and posts digests. Runs of one digest are serialised, so a manual run and a scheduled one that
    overlap cannot post the same story twice."""

    def __init__(
        self,
        digests: DigestStore,
        sink: Poster,
        *,
        clock: Clock = time.time,
        retry_base: float = 2.0,
        attempts: int = 4,
        on_failure: Callable[[str, int, str], None] | None = None,
        embargo: bool = True,
    ) -> None:
        self.digests = digests
        self._embargo = embargo  # ``articles.embargo``: a story dated after the run waits for a later run
        self._on_failure = on_failure
        self._sink = sink
        self._clock = clock
        self._retry_base = retry_base
        self._attempts = attempts
        self._locks: dict[int, asyncio.Lock] = {}
        self._running: set[asyncio.Task[object]] = set()

    def plan(self, digest_id: int) -> DigestPlan | None:
        """What the digest would post now (blocking: it reads the store)."""
        digest = self.digests.get(digest_id)
        if digest is None:
            return None
        spec = digest.spec
        now = self._clock()
        start = self.digests.last_window_end(digest.id)
        if start is None:
            start = now - spec.schedule.period_before(datetime.fromtimestamp(now, UTC)).total_seconds()
        until = now if self._embargo else None
        found = rank(self.digests.candidates(digest.id, spec, start, self.digests.baseline(), until))
        top = found[: spec.max_items]
        stories = self.digests.load_stories(c.story_id for c in top)
        entries = [(c.story_id, stories[c.story_id]) for c in top if c.story_id in stories]
        messages = build_digest_messages(spec.name, entries, window_start=start, window_end=now)
        return DigestPlan(digest, start, now, len(found), messages)

    async def preview(self, digest_id: int) -> DigestPlan | None:
        return await self.digests.store.run_concurrent(self.plan, digest_id)

    async def run(self, digest_id: int, *, reason: str = "on request", run_key: str | None = None) -> RunOutcome:
        """Run the digest now. Without ``run_key`` the run is a one-off (``/digest run``): a key of its own."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            async with self._locks.setdefault(digest_id, asyncio.Lock()):
                return await self._run(digest_id, reason, run_key or f"once:{uuid.uuid4().hex}")
        finally:
            if task is not None:
                self._running.discard(task)

    async def run_scheduled(self, digest_id: int) -> RunOutcome:
        """The job's run: its key is the scheduled time it stands for, so however many processes (or restarts)
        fire it, it posts once."""
        digest = await self.digests.store.run_concurrent(self.digests.get, digest_id)
        if digest is None:
            log.warning("Digest %s no longer exists; nothing to run", digest_id)
            return RunOutcome(RunStatus.MISSING)
        return await self.run(digest_id, reason="schedule", run_key=scheduled_run_key(digest, self._clock()))

    async def aclose(self, timeout: float) -> None:  # noqa: ASYNC109  bounds only the wait for runs, not the caller
        """Let runs in flight finish (and be recorded) before the bot's HTTP session goes away."""
        running = [t for t in self._running if t is not asyncio.current_task()]
        if running:
            await asyncio.wait(running, timeout=timeout)

    async def _run(self, digest_id: int, reason: str, run_key: str) -> RunOutcome:
        started = self._clock()
        plan = await self.digests.store.run_concurrent(self.plan, digest_id)
        if plan is None:
            log.warning("Digest %s no longer exists; nothing to run", digest_id)
            return RunOutcome(RunStatus.MISSING)
        spec = plan.digest.spec
        if not await self.digests.store.run_concurrent(self.digests.claim_run, digest_id, run_key):
            log.info("Digest '%s' (%s): run %s was already claimed; not posting it again", spec.name, reason, run_key)
            return RunOutcome(RunStatus.DUPLICATE, plan=plan)
        if plan.skipped:
            log.info(
                "Digest '%s' (%s): %d new stories, fewer than min_items %d; skipped",
                spec.name,
                reason,
                plan.available,
                spec.min_items,
            )
            await self.digests.store.run_concurrent(self._record, plan, started, RunStatus.SKIPPED, [], None)
            return RunOutcome(RunStatus.SKIPPED, plan=plan)
        delivered: list[tuple[int, tuple[int, ...]]] = []
        error: str | None = None
        try:
            for message in plan.messages:
                message_id = await self._post(spec.channel_id, message, digest_id, spec.name)
                delivered.append((message_id, message.story_ids))
        except DeliveryError as exc:
            error = exc.reason
            log.error(
                "Digest '%s': could not post to channel %s: %s (HTTP %s); it stays scheduled and retries next run",
                spec.name,
                spec.channel_id,
                exc.reason,
                exc.status,
            )
            if self._on_failure is not None:
                self._on_failure(spec.name, spec.channel_id, exc.reason)
        except asyncio.CancelledError:
            # Shutting down mid-run: what Discord already confirmed must still be recorded, or it posts again.
            self._record(plan, started, RunStatus.PARTIAL if delivered else RunStatus.FAILED, delivered, "cancelled")
            raise
        status = RunStatus.SENT if error is None else (RunStatus.PARTIAL if delivered else RunStatus.FAILED)
        await self.digests.store.run_concurrent(self._record, plan, started, status, delivered, error)
        stories = sum(len(ids) for _, ids in delivered)
        if status is RunStatus.SENT:
            log.info(
                "Digest '%s' (%s): posted %d stories in %d messages to channel %s",
                spec.name,
                reason,
                stories,
                len(delivered),
                spec.channel_id,
            )
        return RunOutcome(status, stories, tuple(mid for mid, _ in delivered), error, plan)

    async def _post(self, channel_id: int, message: DigestMessage, digest_id: int, name: str) -> int:
        nonce = digest_nonce(digest_id, message.story_ids)
        attempt = 0
        while True:
            try:
                return await self._sink.post(channel_id, message.payload, nonce=nonce)
            except DeliveryError as exc:
                attempt += 1
                if not exc.retryable or attempt >= self._attempts:
                    raise
                delay = self._retry_base * 2 ** (attempt - 1)
                log.warning("Digest '%s': post failed (%s); retry %d in %.1fs", name, exc.reason, attempt, delay)
                await asyncio.sleep(delay)

    def _record(
        self,
        plan: DigestPlan,
        started: float,
        status: RunStatus,
        delivered: list[tuple[int, tuple[int, ...]]],
        error: str | None,
    ) -> None:
        self.digests.record_run(
            plan.digest.id,
            started_at=started,
            window_start=plan.window_start,
            window_end=plan.window_end,
            status=status,
            delivered=delivered,
            error=error,
        )
