"""The community's signal, written: reaction, reply and share counts per posted story and channel.

Counts only: no user id, no message text ever reaches these tables (``bot/store/signal_tables.py``). Live events
arrive as deltas (``apply``: one upsert per row, the emoji JSON merged in the statement); a reconcile after a gap
sets Discord's own counts (``reconciled``). Reads for ranking are ``bot/store/signal_reads.py``'s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, Text, and_, cast, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB

from bot.store.database import Part
from bot.store.records import DeliveryState
from bot.store.schema import deliveries
from bot.store.signal_tables import signal_counts

DAY = 86400.0
# Rows with a post on Discord: a reaction or reply on any other is not a story's.
_POSTED = (DeliveryState.SENT, DeliveryState.EDIT)


@dataclass(slots=True)
class SignalDelta:
    """What changed for one (story, channel) since the last write. ``cleared`` (every reaction removed) and
    ``cleared_emoji`` (one emoji's removed) happened before the deltas and are applied first."""

    story_id: int
    channel_id: int
    reactions: int = 0
    emoji: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    shares: int = 0
    cleared: bool = False
    cleared_emoji: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[int, int]:
        return self.story_id, self.channel_id


@dataclass(frozen=True, slots=True)
class PostedStory:
    """Where a story's post is on Discord: its message, and the thread members reply in (None: no thread). Both a
    forum post and a discussion thread have their message's id; the message is in the post, or in ``channel_id``."""

    story_id: int
    channel_id: int
    message_id: int
    thread_id: int | None


@dataclass(frozen=True, slots=True)
class SignalRow:
    story_id: int
    channel_id: int
    reactions: int
    emoji: dict[str, int]
    replies: int
    shares: int
    updated_at: float
    reconciled_at: float | None


class SignalStore(Part):
    """Synchronous; async callers hand these methods to ``store.run_concurrent``."""

    # -- finding the story an event is about ---------------------------------------------------------------

    def post_of_message(self, message_id: int) -> PostedStory | None:
        """The post whose message this is (a forum post's starter message included), or None."""
        return self._post_where(deliveries.c.message_id == message_id)

    def post_of_thread(self, thread_id: int) -> PostedStory | None:
        """The post whose discussion thread or forum post this is, or None."""
        return self._post_where(deliveries.c.thread_id == thread_id)

    def _post_where(self, where: ColumnElement[bool]) -> PostedStory | None:
        d = deliveries.c
        query = select(d.story_id, d.channel_id, d.message_id, d.thread_id).where(where, d.state.in_(_POSTED))
        with self.db.connect() as conn:
            row = conn.execute(query.limit(1)).first()
        return PostedStory(row[0], row[1], row[2], row[3]) if row else None

    def recent_posts(self, since: float, limit: int) -> list[PostedStory]:
        """Posts made since ``since``, newest first, at most ``limit``: what a reconcile looks at."""
        d = deliveries.c
        when = func.coalesce(d.sent_at, d.planned_at, d.updated_at)
        query = (
            select(d.story_id, d.channel_id, d.message_id, d.thread_id)
            .where(d.message_id.is_not(None), d.state.in_(_POSTED), when >= since)
            .order_by(when.desc(), d.story_id.desc())
            .limit(limit)
        )
        with self.db.connect() as conn:
            return [PostedStory(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]

    # -- writing ---------------------------------------------------------------------------------------------

    def apply(self, changes: Iterable[SignalDelta], now: float | None = None) -> int:
        """Add the deltas in one transaction (counts never go below zero); returns the rows written."""
        now = time.time() if now is None else now
        written = 0
        with self.db.begin() as conn:
            for change in changes:
                if change.cleared or change.cleared_emoji:
                    self._clear(conn, change, now)
                if change.reactions or change.emoji or change.replies or change.shares:
                    conn.execute(self._add(change, now))
                written += 1
        return written

    def record_share(self, story_id: int, channel_id: int, now: float | None = None) -> None:
        """A /news Share posted the story in ``channel_id``."""
        self.apply([SignalDelta(story_id, channel_id, shares=1)], now)

    def reconciled(
        self,
        post: PostedStory,
        *,
        reactions: dict[str, int],
        replies: int | None,
        now: float | None = None,
    ) -> bool:
        """Set the counts Discord reports for ``post`` (``replies`` None: it has no thread); True if they differed.
        Unchanged counts only stamp ``reconciled_at``, so a reconcile does not keep a quiet row from expiring."""
        now = time.time() if now is None else now
        emoji = {k: v for k, v in reactions.items() if v > 0}
        total = sum(emoji.values())
        c = signal_counts.c
        key = and_(c.story_id == post.story_id, c.channel_id == post.channel_id)
        with self.db.begin() as conn:
            row = conn.execute(select(c.reactions, c.emoji, c.replies).where(key).with_for_update()).first()
            old_replies = row.replies if row else 0
            new_replies = old_replies if replies is None else max(0, replies)
            if row is not None and (row.reactions, _emoji(row.emoji), row.replies) == (total, emoji, new_replies):
                conn.execute(update(signal_counts).where(key).values(reconciled_at=now))
                return False
            if row is None and total == 0 and new_replies == 0:
                return False  # nothing to count: no row for every quiet post
            values = {"reactions": total, "emoji": _dumps(emoji), "replies": new_replies}
            stmt = self.backend.insert(signal_counts).values(
                story_id=post.story_id,
                channel_id=post.channel_id,
                shares=0,
                updated_at=now,
                reconciled_at=now,
                **values,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["story_id", "channel_id"], set_={**values, "updated_at": now, "reconciled_at": now}
                )
            )
        return True

    def prune(self, keep_days: int, now: float | None = None) -> int:
        """Forget the counts of stories unchanged for ``keep_days`` (``signals.keep_days``); returns how many."""
        cutoff = (time.time() if now is None else now) - keep_days * DAY
        with self.db.begin() as conn:
            return conn.execute(delete(signal_counts).where(signal_counts.c.updated_at < cutoff)).rowcount or 0

    def row(self, story_id: int, channel_id: int) -> SignalRow | None:
        """One row as stored (tests, and the reconcile's comparison)."""
        c = signal_counts.c
        with self.db.connect() as conn:
            r = conn.execute(select(signal_counts).where(c.story_id == story_id, c.channel_id == channel_id)).first()
        if r is None:
            return None
        return SignalRow(
            r.story_id, r.channel_id, r.reactions, _emoji(r.emoji), r.replies, r.shares, r.updated_at, r.reconciled_at
        )

    # -- statements ------------------------------------------------------------------------------------------

    def _add(self, change: SignalDelta, now: float) -> Any:
        c = signal_counts.c
        fresh = {k: v for k, v in change.emoji.items() if v > 0}
        stmt = self.backend.insert(signal_counts).values(
            story_id=change.story_id,
            channel_id=change.channel_id,
            reactions=max(0, change.reactions),
            emoji=_dumps(fresh),
            replies=max(0, change.replies),
            shares=max(0, change.shares),
            updated_at=now,
        )
        changes: dict[str, Any] = {"updated_at": now}
        for name, delta in (("reactions", change.reactions), ("replies", change.replies), ("shares", change.shares)):
            if delta:
                changes[name] = self._at_least_zero(c[name] + delta)
        if change.emoji:
            changes["emoji"] = self._merge_emoji(change.emoji)
        return stmt.on_conflict_do_update(index_elements=["story_id", "channel_id"], set_=changes)

    def _clear(self, conn: Connection, change: SignalDelta, now: float) -> None:
        """Rare (a moderator removed reactions): read, change and write the row in the transaction."""
        c = signal_counts.c
        key = and_(c.story_id == change.story_id, c.channel_id == change.channel_id)
        row = conn.execute(select(c.emoji).where(key).with_for_update()).first()
        if row is None:
            return
        emoji = {} if change.cleared else {k: v for k, v in _emoji(row.emoji).items() if k not in change.cleared_emoji}
        conn.execute(
            update(signal_counts).where(key).values(reactions=sum(emoji.values()), emoji=_dumps(emoji), updated_at=now)
        )

    def _at_least_zero(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.greatest(value, 0) if self.backend.name == "postgresql" else func.max(value, 0)

    def _merge_emoji(self, deltas: dict[str, int]) -> ColumnElement[Any]:
        """The stored JSON with each emoji's count moved by its delta, in SQL: concurrent writers never lose one."""
        column = signal_counts.c.emoji
        if self.backend.name == "postgresql":
            stored = cast(column, JSONB)
            pairs: list[Any] = []
            for key, delta in deltas.items():
                old = func.coalesce(stored[key].astext.cast(Integer), 0)
                pairs += [cast(literal(key), Text), self._at_least_zero(old + delta)]
            return cast(stored.op("||")(func.jsonb_build_object(*pairs)), Text)
        args: list[Any] = []
        for key, delta in deltas.items():
            path = json_path(key)
            args += [path, self._at_least_zero(func.coalesce(func.json_extract(column, path), 0) + delta)]
        return func.json_set(column, *args)


def json_path(key: str) -> str:
    """SQLite's JSON path to one key; emoji keys are ours (a character, or ``name:id``), never holding a quote."""
    return '$."' + key.replace('"', "").replace("\\", "") + '"'


def _emoji(text: str | None) -> dict[str, int]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def merge(deltas: Sequence[SignalDelta]) -> list[SignalDelta]:
    """Deltas for the same (story, channel) folded into one, in order (a clear drops the reactions before it)."""
    merged: dict[tuple[int, int], SignalDelta] = {}
    for change in deltas:
        into = merged.setdefault(change.key, SignalDelta(change.story_id, change.channel_id))
        if change.cleared:
            into.cleared, into.reactions, into.emoji, into.cleared_emoji = True, 0, {}, set()
        for name in change.cleared_emoji:
            into.reactions -= into.emoji.pop(name, 0)
            into.cleared_emoji.add(name)
        into.reactions += change.reactions
        for name, n in change.emoji.items():
            into.emoji[name] = into.emoji.get(name, 0) + n
        into.replies += change.replies
        into.shares += change.shares
    return list(merged.values())


def _dumps(emoji: dict[str, int]) -> str:
    # Unescaped: SQLite's JSON paths match a key as written, so "👍" must not be stored as "\ud83d\udc4d".
    return json.dumps(emoji, ensure_ascii=False)
