"""Counting reactions on the bot's posts and replies in their threads, from gateway events, without blocking.

An event handler only checks the event against the recent ones (a RESUME may deliver one twice) and queues it;
one task finds each event's story (cached) and folds it into deltas, written every ``flush_seconds`` or
``flush_size`` events through ``store.run_concurrent``. A burst of reactions costs the event loop a dict lookup
each, and the database one upsert per story and channel per flush.

What is kept in memory, and only there: for recent reactions, each (member, message, emoji)'s last action, so a
duplicate add or remove is recognised; for recent messages, their ids. Nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.signal.recent import Bounded, RecentEvents
from bot.store.signals import PostedStory, SignalDelta, merge

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000
# A message or thread younger than this may be the bot's own post whose ledger row is not settled yet: an event
# on it that finds no story is not remembered as "not a story's".
NEW_POST_SECONDS = 600.0
WRITE_POLL = 0.05
# An event on a post the ledger does not know yet (a member reacted in the instant between Discord's answer and
# the row's settling) waits this long, retried at each flush, instead of being lost until the next reconcile.
PARK_SECONDS = 60.0
PARK_MAX = 2_000


def emoji_key(emoji_id: int | None, name: str | None) -> str:
    """How an emoji is counted: the character itself, or ``name:id`` for a server's custom emoji."""
    if emoji_id:
        return f"{name or 'emoji'}:{emoji_id}"
    return name or "?"


def snowflake_time(snowflake: int) -> float:
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000.0


@dataclass(frozen=True, slots=True)
class _Reaction:
    message_id: int
    emoji: str
    delta: int


@dataclass(frozen=True, slots=True)
class _Clear:
    message_id: int
    emoji: str | None


@dataclass(frozen=True, slots=True)
class _Reply:
    thread_id: int
    delta: int


_Event = _Reaction | _Clear | _Reply


@dataclass(slots=True)
class CounterStats:
    """Since start: events taken, duplicates dropped, events on nothing of ours, rows written."""

    events: int = 0
    duplicates: int = 0
    ignored: int = 0
    written: int = 0
    dropped: int = 0  # the queue was full (the reconcile after the next start corrects the counts)


class SignalCounter:
    """Feed it plain ids from the gateway (``cogs/signal``); ``run`` is its one task."""

    def __init__(
        self,
        store: Store,
        *,
        bot_id: Callable[[], int | None],
        flush_seconds: float = 1.0,
        flush_size: int = 100,
        queue_size: int = 20_000,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.bot_id = bot_id
        self.flush_seconds = flush_seconds
        self.flush_size = flush_size
        self.clock = clock
        self.recent = RecentEvents()
        self.stats = CounterStats()
        self._queue: asyncio.Queue[_Event] = asyncio.Queue(maxsize=queue_size)
        # message id → its post (None: not a story's), thread id → its post.
        self._by_message: Bounded[int, PostedStory | None] = Bounded(cache_size)
        self._by_thread: Bounded[int, PostedStory | None] = Bounded(cache_size)
        # The bot's own and webhook messages seen created (a discussion thread's opener): their deletion is no reply's.
        self._not_replies: Bounded[int, bool] = Bounded(cache_size)
        self._pending: list[SignalDelta] = []
        # (thread?, id) → events on a young id that is no story's yet; retried at each flush (bounded).
        self._parked: dict[tuple[bool, int], list[_Event]] = {}
        self._parked_events = 0
        self._pending_events = 0
        self._first_pending = 0.0
        self._flushing = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        self._retry_at = 0.0

    # -- events (called on the event loop; they never wait) --------------------------------------------------

    def reaction(self, *, message_id: int, user_id: int, emoji: str, burst: bool, added: bool) -> None:
        if user_id == self.bot_id():
            return  # the bot adds none, but its own would not be the community's
        if not self.recent.reaction(user_id, message_id, emoji, burst, added):
            self.stats.duplicates += 1
            return
        self._put(_Reaction(message_id, emoji, 1 if added else -1))

    def reactions_cleared(self, *, message_id: int, emoji: str | None = None) -> None:
        """Every reaction (``emoji`` None) or every one of ``emoji`` was removed from the message."""
        self.recent.cleared(message_id, emoji)
        self._put(_Clear(message_id, emoji))

    def message_created(self, *, channel_id: int, message_id: int, author_id: int, webhook: bool) -> None:
        """A message in some channel: a reply if the channel is a story's thread and a member wrote it."""
        if not self._is_reply(channel_id, message_id, author_id, webhook):
            # Its deletion arrives with ids only (the bot keeps no message cache): remembered as not a reply.
            self._not_replies.put(message_id, True)
            return
        if not self.recent.message(message_id, True):
            self.stats.duplicates += 1
            return
        self._put(_Reply(channel_id, 1))

    def message_deleted(self, *, channel_id: int, message_id: int, author_id: int | None, webhook: bool) -> None:
        """``author_id`` None: unknown (discord.py keeps no message cache for this bot); a member's unless this
        process saw the bot or a webhook write it."""
        if message_id in self._not_replies or not self._is_reply(channel_id, message_id, author_id, webhook):
            return
        if not self.recent.message(message_id, False):
            self.stats.duplicates += 1
            return
        self._put(_Reply(channel_id, -1))

    def _is_reply(self, channel_id: int, message_id: int, author_id: int | None, webhook: bool) -> bool:
        # A forum post's starter message has the post's id; the bot's own opener and webhook posts are not replies.
        return message_id != channel_id and not webhook and (author_id is None or author_id != self.bot_id())

    def _put(self, event: _Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.stats.dropped += 1
            if self.stats.dropped == 1 or self.stats.dropped % 1000 == 0:
                log.warning("Signal events arrive faster than they are counted: %d dropped", self.stats.dropped)

    # -- the counting task -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Take events and write their deltas until cancelled (then ``close`` writes what is left)."""
        while True:
            wait = None
            if self._pending:
                # While a write runs, what is due goes right after it (``_write``); look again now and then.
                wait = max(self._write_at() - self.clock(), WRITE_POLL if self._writing else 0)
            elif self._parked:
                wait = self.flush_seconds  # parked events are looked up again at least this often
            try:
                event = await asyncio.wait_for(self._queue.get(), timeout=wait)
            except TimeoutError:
                event = None
                if self._parked and not self._pending:
                    await self.flush()
            # Everything queued meanwhile in one go: waiting (wait_for) costs a loop turn per event.
            while event is not None:
                try:
                    await self._take(event)
                finally:
                    self._queue.task_done()
                event = self._queue.get_nowait() if not self._queue.empty() else None
                if self._pending_events >= self.flush_size and self._due():
                    await self._write_behind()
            if self._due():
                await self._write_behind()

    @property
    def _writing(self) -> bool:
        return self._writer is not None and not self._writer.done()

    def _write_at(self) -> float:
        """When what is pending is due by time alone (a failed write waits a whole interval before the next)."""
        return max(self._first_pending + self.flush_seconds, self._retry_at)

    def _due(self) -> bool:
        if not self._pending:
            return False
        now = self.clock()
        return now >= self._retry_at and (self._pending_events >= self.flush_size or now >= self._write_at())

    async def _write_behind(self) -> None:
        """Write what is pending while events are still taken. One write at a time: while it runs, the next batch
        grows, so a slow database (a busy disk, a thread that waits for a CPU) makes batches larger, not the
        counting slower. Waiting for each write instead capped the counting at ``flush_size`` events per write."""
        if self._writing:
            return
        await self._retry_parked()
        self._start_write()

    def _start_write(self) -> None:
        batch, self._pending, self._pending_events = self._pending, [], 0
        self._writer = asyncio.create_task(self._write(batch), name="signal-write")

    async def _write(self, batch: list[SignalDelta]) -> None:
        try:
            await self._write_batch(batch)
        except Exception:
            # The top of a background task: the batch (one transaction, so all or nothing) goes back for the next.
            log.exception("Writing %d signal deltas failed; trying again in %.0fs", len(batch), self.flush_seconds)
            self._retry_at = self.clock() + self.flush_seconds
            if not self._pending:
                self._first_pending = self.clock()
            self._pending[:0] = batch
            self._pending_events += len(batch)
        self._writer = None
        if self._due():
            self._start_write()  # parked events are looked up again at the run loop's next write

    async def settle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109  a bound, not a deadline to pass on
        """Wait (at most ``timeout``) until ``run`` has taken the queued events, then write: before a reconcile,
        so deltas counted before its fetch are not added again on top of the fetched counts."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.debug("Signal events still queued after %.0fs; reconciling anyway", timeout)
        await self.flush()

    async def close(self) -> None:
        """After ``run`` was cancelled: take what is queued and write everything."""
        while not self._queue.empty():
            await self._take(self._queue.get_nowait())
            self._queue.task_done()
        await self.flush()

    async def flush(self) -> None:
        """Write everything pending (parked events whose post is known now included), after any write under way."""
        await self._retry_parked()
        batch, self._pending, self._pending_events = self._pending, [], 0
        await self._write_batch(batch)

    async def _write_batch(self, batch: list[SignalDelta]) -> None:
        # Writes go one at a time and in order (the lock is first come, first served): a clear stays before the
        # reactions counted after it.
        async with self._flushing:
            merged = merge(batch)
            if merged:
                self.stats.written += await self.store.run_concurrent(self.store.signals.apply, merged, self.clock())

    async def _take(self, event: _Event) -> None:
        self.stats.events += 1
        thread = isinstance(event, _Reply)
        key = event.thread_id if isinstance(event, _Reply) else event.message_id
        cache, lookup = self._source(thread)
        post = await self._post(cache, key, lookup)
        if post is not None:
            self._apply(event, post)
        elif self.clock() - snowflake_time(key) <= PARK_SECONDS and self._parked_events < PARK_MAX:
            self._parked.setdefault((thread, key), []).append(event)
            self._parked_events += 1
        else:
            self.stats.ignored += 1

    def _source(self, thread: bool) -> tuple[Bounded[int, PostedStory | None], Callable[[int], PostedStory | None]]:
        if thread:
            return self._by_thread, self.store.signals.post_of_thread
        return self._by_message, self.store.signals.post_of_message

    def _apply(self, event: _Event, post: PostedStory) -> None:
        if isinstance(event, _Reply):
            self._add(SignalDelta(post.story_id, post.channel_id, replies=event.delta))
        elif isinstance(event, _Clear):
            cleared = {event.emoji} if event.emoji is not None else set()
            self._add(SignalDelta(post.story_id, post.channel_id, cleared=event.emoji is None, cleared_emoji=cleared))
        else:
            delta = SignalDelta(post.story_id, post.channel_id, reactions=event.delta, emoji={event.emoji: event.delta})
            self._add(delta)

    async def _retry_parked(self) -> None:
        """Events parked on a young id: counted once its post is in the ledger, dropped once the id is too old."""
        for (thread, key), events in list(self._parked.items()):
            cache, lookup = self._source(thread)
            post = await self._post(cache, key, lookup)
            if post is None and self.clock() - snowflake_time(key) <= PARK_SECONDS:
                continue
            del self._parked[(thread, key)]
            self._parked_events -= len(events)
            for event in events:
                if post is None:
                    self.stats.ignored += 1
                else:
                    self._apply(event, post)

    def _add(self, delta: SignalDelta) -> None:
        if not self._pending:
            self._first_pending = self.clock()
        self._pending.append(delta)
        self._pending_events += 1

    async def _post(
        self, cache: Bounded[int, PostedStory | None], key: int, lookup: Callable[[int], PostedStory | None]
    ) -> PostedStory | None:
        if key in cache:
            post = cache.get(key)
        else:
            post = await self.store.run_concurrent(lookup, key)
            # A young id may be a post whose row is settled in a moment: only an old one is known to be no story's.
            if post is not None or self.clock() - snowflake_time(key) > NEW_POST_SECONDS:
                cache.put(key, post)
        return post
