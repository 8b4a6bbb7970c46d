"""DM planning inside indexing's transaction: a story going live gets one ``dm_deliveries`` row per member it is
for, and a story unpublished or deleted cancels the DMs not yet sent. Written in the same transaction as the
story, so a crash either keeps both or neither: no member is planned twice or missed across restarts."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Connection, and_, or_, select, update

from bot.personal.matching import Follow, plan, story_provider, story_topics
from bot.routes.planning import StoryChange
from bot.store.backends import Backend
from bot.store.batch_sql import select_in
from bot.store.personal_tables import DmState, FollowKind, dm_deliveries, follows, member_settings, personal_guilds
from bot.store.schema import stories
from bot.stories.story import Story

WAITING = (DmState.POST, DmState.DIGEST)


def newly_live(changes: Sequence[StoryChange]) -> list[tuple[int, Story]]:
    """The stories a batch made live: published now, and not live before it."""
    found = []
    for change in changes:
        before, after = change.before, change.after
        was_live = bool(before and before.present and before.published)
        if after is not None and after.published and not was_live:
            found.append((change.story_id, after))
    return found


def withdrawn(changes: Sequence[StoryChange]) -> list[int]:
    """The stories a batch took out of circulation (unpublished, or their last file deleted)."""
    return [
        c.story_id
        for c in changes
        if c.before is not None and c.before.present and c.before.published and not (c.after and c.after.published)
    ]


def plan_dms(
    conn: Connection, backend: Backend, changes: Sequence[StoryChange], *, announce: bool = True, embargo: bool = False
) -> int:
    """Record the DMs a batch's story changes cause; returns how many rows were planned (to wake the sender).
    ``announce`` False (the first run's silent index) plans none: stories already there are nobody's news.
    ``embargo``: a story dated in the future reaches members at its date, as it reaches the channels."""
    gone = withdrawn(changes)
    if gone:
        cancel_stories(conn, gone)
    live = newly_live(changes) if announce else []
    if not live:
        return 0
    candidates = _candidates(conn, [s for _, s in live])
    if not candidates:
        return 0
    users = sorted({f.user_id for f in candidates})
    paused = {
        r.user_id
        for r in select_in(
            conn,
            select(member_settings.c.user_id).where(member_settings.c.paused.is_(True)),
            member_settings.c.user_id,
            users,
        )
    }
    off = set(conn.scalars(select(personal_guilds.c.guild_id).where(personal_guilds.c.enabled.is_(False))))
    since = dict(
        select_in(conn, select(stories.c.id, stories.c.live_since), stories.c.id, [story_id for story_id, _ in live])
    )
    now = time.time()
    rows = []
    for story_id, story in live:
        dated = story.published_at.timestamp() if story.published_at is not None else None
        due = dated if embargo and dated is not None and dated > now else None
        for p in plan(story, candidates, live_since=since.get(story_id) or now, paused=paused, off_guilds=off):
            state = DmState.POST if p.instant else DmState.DIGEST
            rows.append(
                {
                    "story_id": story_id,
                    "user_id": p.user_id,
                    "state": state,
                    "reason": p.reason,
                    "planned_at": now,
                    "due_at": due,
                }
            )
    if rows:
        # A story live again after an unpublish keeps its rows, so a member never gets it twice while they are kept
        # (personal.keep_days); after that it is new again, as it is to the channels.
        conn.execute(backend.insert(dm_deliveries).on_conflict_do_nothing(index_elements=["story_id", "user_id"]), rows)
    return len(rows)


def cancel_stories(conn: Connection, story_ids: list[int]) -> None:
    d = dm_deliveries.c
    for start in range(0, len(story_ids), 500):
        chunk = story_ids[start : start + 500]
        conn.execute(
            update(dm_deliveries)
            .where(d.story_id.in_(chunk), d.state.in_(WAITING))
            .values(state=DmState.CANCELLED, version=d.version + 1)
        )


def _candidates(conn: Connection, live: list[Story]) -> list[Follow]:
    """Follows that may match one of ``live``: by topic or provider key, and every words follow (matched in Python
    with the route rules' whole-word matcher)."""
    topics = sorted(set().union(*(story_topics(s) for s in live)))
    providers = sorted({p for s in live if (p := story_provider(s)) is not None})
    f = follows.c
    wanted = [f.kind == FollowKind.WORDS]
    if topics:
        wanted.append(and_(f.kind == FollowKind.TOPIC, f.norm.in_(topics)))
    if providers:
        wanted.append(and_(f.kind == FollowKind.PROVIDER, f.norm.in_(providers)))
    rows = conn.execute(select(follows).where(or_(*wanted)))
    return [Follow(r.user_id, r.kind, r.norm, r.value, r.mode, r.guild_id, r.created_at) for r in rows]
