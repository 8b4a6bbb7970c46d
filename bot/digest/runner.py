"""Running a digest: plan it (window, candidates, ranking, messages), post it, and record it once Discord confirmed.

The window runs from the end of the digest's last complete run to now; a digest that never completed a run
looks back one period of its schedule (the interval between its last two run times). A story enters a run
only if this digest never delivered it, and it is recorded as delivered only after Discord returned the
message carrying it, in the same transaction as the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from bot.cluster.adopt import HISTORY_LIMIT, History
from bot.digest.markers import find_marked, mark, run_ref
from bot.digest.ranking import rank
from bot.digest.render import DigestMessage, build_digest_messages
from bot.digest.runs import ClaimedRun, DigestPlan, RunOutcome, digest_nonce, scheduled_run_key
from bot.send.errors import DeliveryError
from bot.send.sinks import Poster
from bot.signal.ranking import Engagement, rank_digest
from bot.store import Store
from bot.store.digest_claims import RunClaim
from bot.store.digests import RunStatus

__all__ = ["DigestPlan", "DigestRunner", "RunOutcome", "digest_nonce", "scheduled_run_key"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class DigestRunner:
    """Plans and posts digests. Runs of one digest are serialised, so a manual run and a scheduled one that
    overlap cannot post the same story twice."""

    def __init__(
        self,
        store: Store,
        sink: Poster,
        *,
        clock: Clock = time.time,
        retry_base: float = 2.0,
        attempts: int = 4,
        on_failure: Callable[[str, int, str], None] | None = None,
        embargo: bool = True,
        member_id: str | None = None,
        exclusive: bool = False,
        history: History | None = None,
        author_id: Callable[[], int | None] | None = None,
    ) -> None:
        # The claimer of our runs (``cluster_members.member_id``); ``exclusive``: SQLite, the only process, so a
        # run still posting under any other id is an earlier life's. Without ``member_id`` nothing is resumed.
        self._member_id = member_id
        self._exclusive = exclusive
        self._history = history  # the channel's recent messages, to adopt a dead run's posts
        self._author_id = author_id
        self.digests = store.digests
        self._signals = store.signal_reads  # a ``rank: discussed`` digest's counts
        self._db = store.run_concurrent
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
        found = self.digests.candidates(digest.id, spec, start, self.digests.baseline(), until)
        counts: dict[int, Engagement] = {}
        if spec.discussed:
            counts = self._signals.totals([c.story_id for c in found])
            found = rank_digest(found, counts, now)
        else:
            found = rank(found)
        top = found[: spec.max_items]
        stories = self.digests.load_stories(c.story_id for c in top)
        entries = [(c.story_id, stories[c.story_id]) for c in top if c.story_id in stories]
        talked = [(story, counts[i]) for i, story in entries if i in counts and counts[i].weighted > 0]
        messages = build_digest_messages(spec.name, entries, window_start=start, window_end=now, discussed=talked)
        return DigestPlan(digest, start, now, len(found), messages)

    async def preview(self, digest_id: int) -> DigestPlan | None:
        return await self._db(self.plan, digest_id)

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
        digest = await self._db(self.digests.get, digest_id)
        if digest is None:
            log.warning("Digest %s no longer exists; nothing to run", digest_id)
            return RunOutcome(RunStatus.MISSING)
        return await self.run(digest_id, reason="schedule", run_key=scheduled_run_key(digest, self._clock()))

    async def aclose(self, timeout: float) -> None:  # noqa: ASYNC109  bounds only the wait for runs, not the caller
        """Let runs in flight finish (and be recorded) before the bot's HTTP session goes away."""
        running = [t for t in self._running if t is not asyncio.current_task()]
        if running:
            await asyncio.wait(running, timeout=timeout)

    async def resume_orphans(self, digest_ids: Collection[int]) -> list[RunOutcome]:
        """Finish the runs of ``digest_ids`` that a dead process claimed and never recorded (start-up, and then
        every few seconds for claimers that die later): each is taken over by one process only."""
        if self._member_id is None or not digest_ids:
            return []
        keys = self.digests.keys
        found = await self._db(keys.orphans, self._member_id, digest_ids, exclusive=self._exclusive)
        outcomes: list[RunOutcome] = []
        for digest_id in dict.fromkeys(d for d, _ in found):
            async with self._locks.setdefault(digest_id, asyncio.Lock()):
                outcomes += await self._resume_orphans_of(digest_id)
        return outcomes

    async def _resume_orphans_of(self, digest_id: int) -> list[RunOutcome]:
        """With the digest's lock held: resume its orphaned runs, oldest first."""
        if self._member_id is None:
            return []
        keys, db = self.digests.keys, self._db
        outcomes: list[RunOutcome] = []
        for _, run_key in await db(keys.orphans, self._member_id, [digest_id], exclusive=self._exclusive):
            claim = await db(keys.take_over, digest_id, run_key, self._member_id, exclusive=self._exclusive)
            if claim is not None:
                outcomes.append(await self._resume(claim))
        return outcomes

    async def _resume(self, claim: RunClaim) -> RunOutcome:
        digest = await self._db(self.digests.get, claim.digest_id)
        if digest is None:
            return RunOutcome(RunStatus.MISSING)
        run = ClaimedRun.load(digest, claim.run_key, claim.plan)
        adopted = await self._find_posted(run)
        log.warning(
            "Digest '%s': resuming run %s left unrecorded by %s (it died mid-post): %d of %d messages already in "
            "channel %s are adopted, the rest posted",
            digest.spec.name,
            claim.run_key,
            claim.previous or "an earlier process",
            len(adopted),
            len(run.messages),
            digest.spec.channel_id,
        )
        return await self._deliver(run, "resumed", adopted)

    async def _find_posted(self, run: ClaimedRun) -> dict[int, int]:
        """Part number → message id of this run's messages already in the channel (history has no nonces)."""
        if self._history is None:
            return {}
        try:
            recent = await self._history.recent_messages(run.digest.spec.channel_id, HISTORY_LIMIT)
        except Exception as exc:
            # Without the history we cannot tell: posting is the lesser harm (the nonce may still catch a repeat).
            log.warning("Digest '%s': could not read the channel's recent messages: %s", run.digest.spec.name, exc)
            return {}
        author = self._author_id() if self._author_id is not None else None
        return find_marked(recent, run_ref(run.digest.id, run.run_key), author_id=author)

    async def _run(self, digest_id: int, reason: str, run_key: str) -> RunOutcome:
        # A dead process's unrecorded run of this digest first: its stories must not go out twice.
        await self._resume_orphans_of(digest_id)
        started = self._clock()
        plan = await self._db(self.plan, digest_id)
        if plan is None:
            log.warning("Digest %s no longer exists; nothing to run", digest_id)
            return RunOutcome(RunStatus.MISSING)
        spec = plan.digest.spec
        run = ClaimedRun(
            plan.digest,
            run_key,
            started,
            plan.window_start,
            plan.window_end,
            mark(plan.messages, run_ref(digest_id, run_key)),
        )
        claimed = await self._db(self.digests.claim_run, digest_id, run_key, member_id=self._member_id, plan=run.dump())
        if not claimed:
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
            await self._db(self._record, run, RunStatus.SKIPPED, [], None)
            return RunOutcome(RunStatus.SKIPPED, plan=plan)
        outcome = await self._deliver(run, reason, {})
        return RunOutcome(outcome.status, outcome.stories, outcome.message_ids, outcome.error, plan)

    async def _deliver(self, run: ClaimedRun, reason: str, adopted: dict[int, int]) -> RunOutcome:
        """Post the run's messages (those not ``adopted``: part number → message id) and record the run."""
        spec = run.digest.spec
        delivered: list[tuple[int, tuple[int, ...]]] = []
        error: str | None = None
        try:
            for number, message in enumerate(run.messages, 1):
                message_id = adopted.get(number)
                if message_id is None:
                    message_id = await self._post(spec.channel_id, message, run.digest.id, spec.name)
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
            self._record(run, RunStatus.PARTIAL if delivered else RunStatus.FAILED, delivered, "cancelled")
            raise
        status = RunStatus.SENT if error is None else (RunStatus.PARTIAL if delivered else RunStatus.FAILED)
        await self._db(self._record, run, status, delivered, error)
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
        return RunOutcome(status, stories, tuple(mid for mid, _ in delivered), error)

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
        self, run: ClaimedRun, status: RunStatus, delivered: list[tuple[int, tuple[int, ...]]], error: str | None
    ) -> None:
        self.digests.record_run(
            run.digest.id,
            started_at=run.started_at,
            window_start=run.window_start,
            window_end=run.window_end,
            status=status,
            delivered=delivered,
            error=error,
            run_key=run.run_key,
        )
