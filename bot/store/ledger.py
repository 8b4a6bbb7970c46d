"""The delivery ledger's SQL: planning actions when a story changes, and settling them once Discord confirms.

A row's ``state`` is the next thing to do (post, edit, delete) or a settled outcome (sent, deleted, failed,
cancelled, gone). Planning bumps ``version``; a worker settles only the version it acted on, so a story that
changed while its send was in flight is acted on again instead of being marked done with stale content.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Update, and_, case, func, insert, not_, select, update

from bot.routes.planning import Action, ActionKind
from bot.store.records import Delivery, HeldStory
from bot.store.records import DeliveryState as S
from bot.store.schema import PENDING_STATES, deliveries, files, stories
from bot.stories.story import Story

DeliveryKey = tuple[int, int]
_REPOST_FROM = frozenset({S.DELETED, S.FAILED, S.CANCELLED, S.GONE, S.CAPPED})
_LIVE = (S.POST, S.EDIT, S.SENT)


def record(conn: Connection, actions: Iterable[Action], *, new_stories: Collection[int] = ()) -> list[DeliveryKey]:
    """Record planned actions in the ledger; returns the rows a send queue must act on.

    ``new_stories``: stories created in this transaction, so without rows until their first action records some."""
    keys: list[DeliveryKey] = []
    unrecorded = set(new_stories)
    for action in actions:
        new = action.story_id in unrecorded
        unrecorded.discard(action.story_id)
        if action.kind is ActionKind.POST:
            keys += plan_publish(conn, action.story_id, action.channels, new=new)
        elif action.kind is ActionKind.EDIT:
            keys += plan_change(conn, action.story_id, action.channels)
        elif action.kind is ActionKind.CAP:
            plan_capped(conn, action.story_id, action.channels)
        else:
            keys += plan_unpublish(
                conn, action.story_id, delete=action.kind is ActionKind.DELETE, channels=action.channels
            )
    return keys


class LedgerReads:
    """The planner's read-only view of the ledger inside a batch's transaction (``bot.routes.planning.LedgerView``)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._counts: dict[tuple[int, float], int] = {}  # one count per channel and day per batch

    def live_channels(self, story_id: int) -> list[int]:
        where = and_(deliveries.c.story_id == story_id, deliveries.c.state.in_(_LIVE))
        return [r.channel_id for r in self._conn.execute(select(deliveries.c.channel_id).where(where))]

    def posts_since(self, channel_id: int, since: float) -> int:
        key = (channel_id, since)
        if key not in self._counts:
            self._counts[key] = posts_since(self._conn, channel_id, since)
        return self._counts[key]


def posts_since(conn: Connection, channel_id: int, since: float) -> int:
    """Posts planned to a channel since ``since`` that are posted or on their way (a route's daily_cap)."""
    d = deliveries.c
    query = select(func.count()).where(d.channel_id == channel_id, d.planned_at >= since, d.state.in_(_LIVE))
    return conn.scalar(query) or 0


def plan_publish(
    conn: Connection, story_id: int, channel_ids: Iterable[int], *, new: bool = False
) -> list[DeliveryKey]:
    """The story became published: make sure each routed channel gets (or keeps) a current message. ``new``: the
    story has no rows yet (created in this transaction), so there are none to read."""
    now = time.time()
    existing = (
        {}
        if new
        else {
            row.channel_id: row
            for row in conn.execute(
                select(deliveries.c.channel_id, deliveries.c.state).where(deliveries.c.story_id == story_id)
            )
        }
    )
    keys: list[DeliveryKey] = []
    new_rows = []
    for channel_id in dict.fromkeys(channel_ids):
        row = existing.get(channel_id)
        keys.append((story_id, channel_id))
        if row is None:
            new_rows.append(
                {"story_id": story_id, "channel_id": channel_id, "state": S.POST, "updated_at": now, "planned_at": now}
            )
            continue
        # A message that still exists is brought up to date; one that is gone is posted anew.
        repost = row.state in _REPOST_FROM
        state = S.POST if repost else (S.EDIT if row.state in (S.SENT, S.DELETE) else row.state)
        planned = {"planned_at": now} if repost else {}
        conn.execute(
            _row(story_id, channel_id).values(
                state=state, version=deliveries.c.version + 1, attempts=0, last_error=None, updated_at=now, **planned
            )
        )
    if new_rows:
        conn.execute(insert(deliveries), new_rows)
    return keys


def plan_capped(conn: Connection, story_id: int, channel_ids: Iterable[int]) -> None:
    """Over a route's daily cap: a settled ``capped`` row (never posted), unless the channel has the story."""
    now = time.time()
    existing = {
        r.channel_id: r.state
        for r in conn.execute(
            select(deliveries.c.channel_id, deliveries.c.state).where(deliveries.c.story_id == story_id)
        )
    }
    for channel_id in dict.fromkeys(channel_ids):
        state = existing.get(channel_id)
        if state is None:
            conn.execute(
                insert(deliveries).values(story_id=story_id, channel_id=channel_id, state=S.CAPPED, updated_at=now)
            )
        elif state in _REPOST_FROM:
            conn.execute(_row(story_id, channel_id).values(state=S.CAPPED, version=deliveries.c.version + 1))


def plan_change(conn: Connection, story_id: int, channels: Collection[int] = ()) -> list[DeliveryKey]:
    """The published story's content changed: posted messages need an edit (only in ``channels``, if given)."""
    where = _scoped(and_(deliveries.c.story_id == story_id, deliveries.c.state.in_(_LIVE)), channels)
    keys = [(story_id, r.channel_id) for r in conn.execute(select(deliveries.c.channel_id).where(where))]
    if keys:
        conn.execute(
            update(deliveries)
            .where(where)
            .values(
                state=case((deliveries.c.state == S.SENT, S.EDIT), else_=deliveries.c.state),
                version=deliveries.c.version + 1,
                updated_at=time.time(),
            )
        )
    return keys


def plan_unpublish(
    conn: Connection, story_id: int, *, delete: bool, channels: Collection[int] = ()
) -> list[DeliveryKey]:
    """The story was unpublished or its file deleted (or no longer matches the routes of ``channels``, if given):
    delete its messages, or keep them."""
    if delete:
        where = and_(deliveries.c.story_id == story_id, deliveries.c.state.in_(_LIVE))
        new_state = S.DELETE
    else:
        # Keeping posted messages, but a post not yet confirmed is no longer wanted.
        where = and_(deliveries.c.story_id == story_id, deliveries.c.state == S.POST, deliveries.c.message_id.is_(None))
        new_state = S.CANCELLED
    where = _scoped(where, channels)
    keys = [(story_id, r.channel_id) for r in conn.execute(select(deliveries.c.channel_id).where(where))]
    if keys:
        conn.execute(
            update(deliveries)
            .where(where)
            .values(state=new_state, version=deliveries.c.version + 1, updated_at=time.time())
        )
    return keys if delete else []


def read(conn: Connection, key: DeliveryKey) -> Delivery | None:
    """A row with its story, as a send worker needs it."""
    r = conn.execute(
        select(deliveries, stories.c.data, files.c.mtime_ns)
        .join(stories, stories.c.id == deliveries.c.story_id)
        .outerjoin(files, files.c.path == stories.c.path)  # the file's mtime: where post latency starts
        .where(deliveries.c.story_id == key[0], deliveries.c.channel_id == key[1])
    ).first()
    return None if r is None else from_row(r)


def from_row(r: Any) -> Delivery:
    """A delivery from a row of ``deliveries`` with its story's ``data`` and its file's ``mtime_ns``."""
    return Delivery(
        story_id=r.story_id,
        channel_id=r.channel_id,
        state=S(r.state),
        message_id=r.message_id,
        payload_hash=r.payload_hash,
        generation=r.generation,
        version=r.version,
        attempts=r.attempts,
        story=Story.from_dict(json.loads(r.data)),
        thread_id=r.thread_id,
        webhook_id=r.webhook_id,
        changed_at=None if r.mtime_ns is None else r.mtime_ns / 1e9,
    )


def settle(
    conn: Connection,
    key: DeliveryKey,
    version: int,
    state: S,
    **values: object,
) -> None:
    """Record what Discord confirmed; move to ``state`` only if the row was not re-planned meanwhile."""
    conn.execute(
        _row(*key).values(
            state=case((deliveries.c.version == version, state), else_=deliveries.c.state),
            updated_at=time.time(),
            **values,
        )
    )


def record_attempt(conn: Connection, key: DeliveryKey, error: str) -> None:
    conn.execute(_row(*key).values(attempts=deliveries.c.attempts + 1, last_error=error[:500], updated_at=time.time()))


def _scoped(where: ColumnElement[bool], channels: Collection[int]) -> ColumnElement[bool]:
    return and_(where, deliveries.c.channel_id.in_(list(channels))) if channels else where


# -- embargo: a post not yet made whose story is dated in the future waits in the ledger, with no extra column -----


def _unposted() -> ColumnElement[bool]:
    return and_(deliveries.c.state == S.POST, deliveries.c.message_id.is_(None))


def held_condition(now: float) -> ColumnElement[bool]:
    """Rows held until their story's date (a message already posted is only ever edited, never held)."""
    # COALESCE: an undated story is never held, and NOT(...) of this must be true for it, not NULL.
    return and_(_unposted(), func.coalesce(stories.c.published_at, 0) > now)


def pending(conn: Connection, now: float | None) -> list[DeliveryKey]:
    """Rows a send queue must act on, oldest story first; with ``now``, held rows are left out."""
    where: ColumnElement[bool] = deliveries.c.state.in_(PENDING_STATES)
    if now is not None:
        where = and_(where, not_(held_condition(now)))
    rows = conn.execute(
        select(deliveries.c.story_id, deliveries.c.channel_id)
        .join(stories, stories.c.id == deliveries.c.story_id)
        .where(where)
        .order_by(stories.c.published_at.nulls_first(), stories.c.id)
    )
    return [(r.story_id, r.channel_id) for r in rows]


def released(conn: Connection, after: float, now: float) -> list[DeliveryKey]:
    """Held rows whose story's date fell in (``after``, ``now``]: due since the last release."""
    rows = conn.execute(
        select(deliveries.c.story_id, deliveries.c.channel_id)
        .join(stories, stories.c.id == deliveries.c.story_id)
        .where(_unposted(), stories.c.published_at > after, stories.c.published_at <= now)
        .order_by(stories.c.published_at, stories.c.id)
    )
    return [(r.story_id, r.channel_id) for r in rows]


def next_release(conn: Connection, now: float) -> float | None:
    """When the earliest held row becomes due, or None when nothing is held."""
    query = (
        select(func.min(stories.c.published_at))
        .select_from(deliveries.join(stories, stories.c.id == deliveries.c.story_id))
        .where(held_condition(now))
    )
    return conn.scalar(query)


def held(conn: Connection, now: float) -> list[HeldStory]:
    """Every held story with its release time and channels, soonest first."""
    rows = conn.execute(
        select(stories.c.id, stories.c.title, stories.c.published_at, deliveries.c.channel_id)
        .join(stories, stories.c.id == deliveries.c.story_id)
        .where(held_condition(now))
        .order_by(stories.c.published_at, stories.c.id, deliveries.c.channel_id)
    )
    found: dict[int, HeldStory] = {}
    for r in rows:
        before = found.get(r.id)
        channels = (*before.channels, r.channel_id) if before else (r.channel_id,)
        found[r.id] = HeldStory(r.id, r.title, r.published_at, channels)
    return list(found.values())


def _row(story_id: int, channel_id: int) -> Update:
    return update(deliveries).where(deliveries.c.story_id == story_id, deliveries.c.channel_id == channel_id)
