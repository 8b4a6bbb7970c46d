"""The delivery ledger's SQL: planning actions when a story changes, and settling them once Discord confirms.

A row's ``state`` is the next thing to do (post, edit, delete) or a settled outcome (sent, deleted, failed,
cancelled, gone). Planning bumps ``version``; a worker settles only the version it acted on, so a story that
changed while its send was in flight is acted on again instead of being marked done with stale content.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Connection, and_, case, insert, select, update

from bot.planning import Action, ActionKind
from bot.store.records import DeliveryState as S
from bot.store.schema import deliveries

DeliveryKey = tuple[int, int]
_REPOST_FROM = frozenset({S.DELETED, S.FAILED, S.CANCELLED, S.GONE})
_LIVE = (S.POST, S.EDIT, S.SENT)


def record(conn: Connection, actions: Iterable[Action]) -> list[DeliveryKey]:
    """Record planned actions in the ledger; returns the rows a send queue must act on."""
    keys: list[DeliveryKey] = []
    for action in actions:
        if action.kind is ActionKind.POST:
            keys += plan_publish(conn, action.story_id, action.channels)
        elif action.kind is ActionKind.EDIT:
            keys += plan_change(conn, action.story_id)
        else:
            keys += plan_unpublish(conn, action.story_id, delete=action.kind is ActionKind.DELETE)
    return keys


def plan_publish(conn: Connection, story_id: int, channel_ids: Iterable[int]) -> list[DeliveryKey]:
    """The story became published: make sure each routed channel gets (or keeps) a current message."""
    now = time.time()
    existing = {
        row.channel_id: row
        for row in conn.execute(
            select(deliveries.c.channel_id, deliveries.c.state).where(deliveries.c.story_id == story_id)
        )
    }
    keys: list[DeliveryKey] = []
    new_rows = []
    for channel_id in dict.fromkeys(channel_ids):
        row = existing.get(channel_id)
        keys.append((story_id, channel_id))
        if row is None:
            new_rows.append({"story_id": story_id, "channel_id": channel_id, "state": S.POST, "updated_at": now})
            continue
        # A message that still exists is brought up to date; one that is gone is posted anew.
        state = S.POST if row.state in _REPOST_FROM else (S.EDIT if row.state in (S.SENT, S.DELETE) else row.state)
        conn.execute(
            _row(story_id, channel_id).values(
                state=state, version=deliveries.c.version + 1, attempts=0, last_error=None, updated_at=now
            )
        )
    if new_rows:
        conn.execute(insert(deliveries), new_rows)
    return keys


def plan_change(conn: Connection, story_id: int) -> list[DeliveryKey]:
    """The published story's content changed: posted messages need an edit."""
    where = and_(deliveries.c.story_id == story_id, deliveries.c.state.in_(_LIVE))
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


def plan_unpublish(conn: Connection, story_id: int, *, delete: bool) -> list[DeliveryKey]:
    """The story was unpublished or its file deleted: delete its messages, or keep them."""
    if delete:
        where = and_(deliveries.c.story_id == story_id, deliveries.c.state.in_(_LIVE))
        new_state = S.DELETE
    else:
        # Keeping posted messages, but a post not yet confirmed is no longer wanted.
        where = and_(deliveries.c.story_id == story_id, deliveries.c.state == S.POST, deliveries.c.message_id.is_(None))
        new_state = S.CANCELLED
    keys = [(story_id, r.channel_id) for r in conn.execute(select(deliveries.c.channel_id).where(where))]
    if keys:
        conn.execute(
            update(deliveries)
            .where(where)
            .values(state=new_state, version=deliveries.c.version + 1, updated_at=time.time())
        )
    return keys if delete else []


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


def _row(story_id: int, channel_id: int):
    return update(deliveries).where(deliveries.c.story_id == story_id, deliveries.c.channel_id == channel_id)
