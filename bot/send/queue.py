"""Per-channel send queues: turn pending ledger rows into posts, edits and deletions, in order."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.render.embeds import DEFAULT_COLOR, build_story_message, payload_hash
from bot.send.errors import DeliveryError
from bot.send.kinds.base import Deliverer, PlainDeliverer, PostFinder
from bot.send.sinks import Sink
from bot.store import Delivery, DeliveryState, Store
from bot.store.cluster import Claim
from bot.store.schema import PENDING_STATES
from bot.stories.story import Story

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.personal.switch import FollowSwitch
    from bot.send.gate import ChannelGate

log = logging.getLogger(__name__)

T = TypeVar("T")
DbCall = Callable[..., Awaitable[Any]]
RolesFor = Callable[[int, Story], Sequence[int]]
LookFor = Callable[[int, Story], tuple[str, int]]  # (channel, story) -> the route's style and embed colour
MAX_BACKOFF = 300.0


class PipelineObserver(Protocol):
    """Events worth telling the admins about; the alerter implements this. Calls must not block."""

    def delivery_failed(self, channel_id: int, status: int | None, reason: str) -> None: ...

    def delivery_retrying(self, channel_id: int, attempt: int, reason: str) -> None: ...

    def files_rejected(self, rejected: Iterable[tuple[str, str]]) -> None: ...


class ClaimGuard(Protocol):
    """Claims a ledger row for this process while it sends it (bot/cluster/claims.py)."""

    async def take(self, key: tuple[int, int]) -> Claim | None: ...

    async def release(self, key: tuple[int, int]) -> None: ...

    def releasing(self) -> dict[str, object]:
        """Column values that release the claim, added to the UPDATE that settles the row (one statement)."""
        ...


class NullObserver:
    def delivery_failed(self, channel_id: int, status: int | None, reason: str) -> None:
        pass

    def delivery_retrying(self, channel_id: int, attempt: int, reason: str) -> None:
        pass

    def files_rejected(self, rejected: Iterable[tuple[str, str]]) -> None:
        pass


def delivery_nonce(story_key: str, channel_id: int, generation: int) -> str:
    """Same (story, channel, generation) → same nonce, so Discord drops a resend after a crash (≤25 chars)."""
    return hashlib.sha256(f"{story_key}\x00{channel_id}\x00{generation}".encode()).hexdigest()[:25]


class ChannelQueue:
    """One channel's queue. Sequential on purpose: Discord's per-channel rate limit is the bottleneck anyway,
    and sequential sends keep stories in order and let discord.py's bucket handling avoid 429s."""

    def __init__(
        self,
        channel_id: int,
        *,
        store: Store,
        db: DbCall,
        sink: Sink,
        roles_for: RolesFor,
        look_for: LookFor | None = None,
        base_backoff: float = 1.0,
        observer: PipelineObserver | None = None,
        gate: ChannelGate | None = None,
        deliverer: Deliverer | None = None,
        embargo: bool = False,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        claims: ClaimGuard | None = None,
        finder: PostFinder | None = None,
        follow: FollowSwitch | None = None,
    ) -> None:
        # The Follow component under each post: per channel (config personal.enabled, the server's /newsdesk personal).
        self._follow = follow
        self._metrics = metrics  # None: metrics are off
        self._claims = claims
        self._finder = finder
        # How posts reach the channel (its kind: text, announcement, forum; webhooks): bot/send/kinds/deliverer.py.
        self._deliverer = deliverer or PlainDeliverer(sink)
        self._embargo = embargo
        self._clock = clock
        self._observer = observer or NullObserver()
        self._gate = gate
        self.channel_id = channel_id
        self._store = store
        self._db = db
        self._sink = sink
        self._roles_for = roles_for
        self._look_for = look_for
        self._base_backoff = base_backoff
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._releasing: dict[str, object] = {}  # while a claimed row is being sent: settling also releases it
        self._settled = False
        self.sent = 0
        self.failed = 0

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def put(self, story_id: int) -> None:
        # A story already waiting is read fresh from the store when its turn comes: no need to queue it twice.
        if story_id not in self._queued:
            self._queued.add(story_id)
            self._queue.put_nowait(story_id)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"send-queue-{self.channel_id}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def join(self) -> None:
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            story_id = await self._queue.get()
            try:
                if self._gate is not None:
                    await self._gate.wait_open(self.channel_id)
                self._queued.discard(story_id)
                await self._deliver_with_retry((story_id, self.channel_id))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Unexpected error delivering story %s to channel %s", story_id, self.channel_id)
            finally:
                self._queue.task_done()

    async def _deliver_with_retry(self, key: tuple[int, int]) -> None:
        if self._claims is None:
            await self._retrying(key, in_flight=False)
            return
        claim = await self._claims.take(key)
        if claim is None:
            return  # settled already, or another live process is sending it right now
        self._releasing, self._settled = self._claims.releasing(), False
        try:
            await self._retrying(key, in_flight=claim.was_in_flight, claimed=claim.delivery)
        finally:
            self._releasing = {}
            if not self._settled:  # left pending (held, cancelled mid-send, an error): release it by itself
                await self._claims.release(key)

    async def _settle(self, d: Delivery, state: DeliveryState, **values: object) -> None:
        await self._db(self._store.ledger.settle, d, state, **values, **self._releasing)
        self._settled = True

    async def _retrying(self, key: tuple[int, int], *, in_flight: bool, claimed: Delivery | None = None) -> None:
        """``claimed``: the row as read with its claim, current for the first try (later tries read it again)."""
        attempt = 0
        while True:
            delivery = claimed if claimed is not None else await self._db(self._store.ledger.read, key)
            claimed = None
            if delivery is None or delivery.state not in PENDING_STATES:
                return
            try:
                # Its sender died mid-send, or an earlier try of ours failed without an answer: the post may be
                # in the channel already, past the few minutes Discord remembers a nonce.
                if (in_flight or delivery.attempts > 0) and await self._adopted(delivery):
                    return
                in_flight = False
                await self._deliver(delivery)
                return
            except DeliveryError as exc:
                if not exc.retryable:
                    await self._give_up(delivery, exc)
                    return
                attempt += 1
                await self._db(self._store.ledger.record_attempt, delivery, exc.reason)
                self._observer.delivery_retrying(self.channel_id, attempt, exc.reason)
                delay = min(MAX_BACKOFF, self._base_backoff * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
                log.warning(
                    "Channel %s: %s of '%s' failed (%s); retry %d in %.1fs",
                    self.channel_id,
                    delivery.state,
                    delivery.story.title,
                    exc.reason,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _deliver(self, d: Delivery) -> None:
        if d.state == DeliveryState.DELETE:
            if d.message_id is not None:
                try:
                    await self._deliverer.delete(d)
                except DeliveryError as exc:
                    if not exc.gone:
                        raise
                log.info("Channel %s: deleted message %s ('%s')", self.channel_id, d.message_id, d.story.title)
            # The message is gone for good: a later repost needs a fresh nonce.
            await self._settle(
                d,
                DeliveryState.DELETED,
                message_id=None,
                payload_hash=None,
                generation=d.generation + 1,
                thread_id=None,
                webhook_id=None,
                crossposted=None,
            )
            self._count("deleted")
            return
        if not d.story.published:
            await self._settle(d, DeliveryState.CANCELLED)
            self._count("cancelled")
            return
        if d.message_id is None and self._embargo and self._held(d.story):
            # Queued before its time (a change event, a resend): it stays pending; the release timer queues it again.
            log.debug("Channel %s: '%s' is held until its date", self.channel_id, d.story.title)
            return
        style, color = self._look_for(self.channel_id, d.story) if self._look_for else ("full", DEFAULT_COLOR)
        roles = self._roles_for(self.channel_id, d.story)
        follow = await self._follow(self.channel_id) if self._follow is not None else True
        payload = build_story_message(d.story, role_ids=roles, style=style, color=color, follow=follow)
        digest = payload_hash(payload)
        if d.message_id is None:
            nonce = delivery_nonce(d.story.key, self.channel_id, d.generation)
            posted = await self._deliverer.post(d, payload, nonce)
            where = posted.placement
            self.sent += 1
            log.info("Channel %s: posted '%s' (message %s)", self.channel_id, d.story.title, where.message_id)
            await self._settle(
                d,
                DeliveryState.SENT,
                message_id=where.message_id,
                thread_id=where.thread_id,
                webhook_id=where.webhook_id,
                crossposted=False if posted.crosspost else None,
                payload_hash=digest,
                attempts=0,
                last_error=None,
                sent_at=self._clock(),
            )
            self._count("sent", d)
            self._deliverer.follow_up(d, posted)
        elif digest != d.payload_hash:
            await self._deliverer.edit(d, payload)
            log.info("Channel %s: edited message %s ('%s')", self.channel_id, d.message_id, d.story.title)
            await self._settle(d, DeliveryState.SENT, payload_hash=digest, attempts=0, last_error=None)
            self._count("edited")
        else:
            await self._settle(d, DeliveryState.SENT)

    def _count(self, outcome: str, posted: Delivery | None = None) -> None:
        if self._metrics is not None:
            self._metrics.on_delivery(outcome, changed_at=None if posted is None else _latency_start(posted))

    async def _adopted(self, d: Delivery) -> bool:
        if d.message_id is not None or d.state != DeliveryState.POST or not d.story.web_url:
            return False
        # The deliverer knows where each kind of post lives: the channel's history, a forum's posts, a webhook's.
        posted = await self._deliverer.adopt(d, self._finder)
        if posted is None:
            return False
        where = posted.placement
        log.info(
            "Channel %s: adopted message %s for '%s' (posted before a crash)",
            self.channel_id,
            where.message_id,
            d.story.title,
        )
        await self._settle(
            d,
            DeliveryState.SENT,
            message_id=where.message_id,
            thread_id=where.thread_id,
            webhook_id=where.webhook_id,
            crossposted=True if posted.crossposted else (False if posted.crosspost else None),
            payload_hash=None,
            attempts=0,
            last_error=None,
            sent_at=self._clock(),
        )
        self._deliverer.follow_up(d, posted)
        return True

    def _held(self, story: Story) -> bool:
        return story.published_at is not None and story.published_at.timestamp() > self._clock()

    async def _give_up(self, d: Delivery, exc: DeliveryError) -> None:
        self.failed += 1
        if exc.gone and d.message_id is not None:
            # Someone deleted our message by hand: respect that and do not post it again.
            log.warning(
                "Channel %s: message %s for '%s' is gone; not reposting",
                self.channel_id,
                d.message_id,
                d.story.title,
            )
            await self._settle(d, DeliveryState.GONE, message_id=None, thread_id=None, last_error=exc.reason)
            self._count("gone")
            return
        log.error(
            "Channel %s: could not %s '%s': %s (HTTP %s); other stories and channels carry on",
            self.channel_id,
            d.state,
            d.story.title,
            exc.reason,
            exc.status,
        )
        await self._settle(d, DeliveryState.FAILED, last_error=exc.reason)
        self._count("failed")
        self._observer.delivery_failed(self.channel_id, exc.status, exc.reason)


def _latency_start(d: Delivery) -> float | None:
    """When the post became due: the file's mtime, or an embargoed story's release time if that came later."""
    released = d.story.published_at.timestamp() if d.story.published_at is not None else None
    if d.changed_at is None or released is None:
        return d.changed_at
    return max(d.changed_at, released) if released <= time.time() else d.changed_at
