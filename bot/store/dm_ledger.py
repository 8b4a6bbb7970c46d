"""The store's DM ledger part (``store.dm_ledger``): what the DM sender reads, claims and settles.

Rows are claimed like channel deliveries (``claimed_by``/``claimed_at``): a claim by a member that is no longer
live (any other id on SQLite, whose lock file makes this the only process) is taken over, so no two processes send
one member the same story, and a crashed sender's rows are sent by the next one (its DM's nonce makes Discord
drop a resend of what did reach it)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, not_, or_, select, tuple_, update

from bot.store.cluster import live_condition
from bot.store.database import Part
from bot.store.follows import MemberSettings
from bot.store.personal_tables import DmState, dm_deliveries, follows, member_settings
from bot.store.schema import cluster_members, files, stories
from bot.stories.story import Story

DmKey = tuple[int, int]  # (story id, user id)
DAY = 86400.0
LONGEST_DAY = 25 * 3600.0  # a day that ends daylight saving time
d = dm_deliveries.c
m = member_settings.c


@dataclass(frozen=True, slots=True)
class DmMember(MemberSettings):
    """A member's settings (the same record ``/follow settings`` shows) and what the sender keeps about them."""

    user_id: int = 0
    dm_channel_id: int | None = None
    last_digest_at: float | None = None
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class DmRow:
    story_id: int
    user_id: int
    reason: str
    attempts: int
    story: Story
    quality: int | None
    heat: int | None
    published_at: float | None
    first_seen: float
    changed_at: float | None  # the story file's mtime: where a DM's latency starts

    @property
    def key(self) -> DmKey:
        return (self.story_id, self.user_id)


_ROW = select(
    d.story_id,
    d.user_id,
    d.reason,
    d.attempts,
    stories.c.data,
    stories.c.quality,
    stories.c.heat,
    stories.c.published_at,
    stories.c.first_seen,
    files.c.mtime_ns,
).select_from(dm_deliveries.join(stories, stories.c.id == d.story_id).outerjoin(files, files.c.path == stories.c.path))


class DmLedger(Part):
    """Synchronous; the sender calls it through ``store.run_concurrent``."""

    def _claimable(self, member_id: str, now: float, exclusive: bool) -> ColumnElement[bool]:
        if exclusive:
            return d.state.is_not(None)  # every claim is a dead run's (SQLite: one process)
        live = select(cluster_members.c.member_id).where(live_condition(now))
        return or_(d.claimed_by.is_(None), d.claimed_by == member_id, not_(d.claimed_by.in_(live)))

    def due_members(self, member_id: str, now: float, *, exclusive: bool, limit: int = 1000) -> list[int]:
        """Members with instant DMs due (not held by quiet hours or a retry's back-off) that nobody live sends."""
        due = and_(d.state == DmState.POST, or_(d.due_at.is_(None), d.due_at <= now))
        query = select(d.user_id).where(due, self._claimable(member_id, now, exclusive)).distinct().limit(limit)
        with self.db.connect() as conn:
            return list(conn.scalars(query))

    def next_due(self, now: float) -> float | None:
        """When the earliest held instant DM becomes due."""
        with self.db.connect() as conn:
            return conn.scalar(select(func.min(d.due_at)).where(d.state == DmState.POST, d.due_at > now))

    def claim(self, member_id: str, user_id: int, now: float, *, state: DmState, exclusive: bool) -> list[DmRow]:
        """Claim the member's rows in ``state`` that are due, oldest story first."""
        # Not before ``due_at``: quiet hours, a retry's back-off, or (either state) a story held until its date.
        where = [d.user_id == user_id, d.state == state, self._claimable(member_id, now, exclusive)]
        where.append(or_(d.due_at.is_(None), d.due_at <= now))
        with self.db.begin() as conn:
            keys = _claim_where(conn, member_id, now, where)
            if not keys:
                return []
            rows = conn.execute(_ROW.where(tuple_(d.story_id, d.user_id).in_(keys)).order_by(d.story_id)).all()
        return [_dm_row(r) for r in rows]

    def claim_capped_untold(
        self, member_id: str, user_id: int, before: float, now: float, *, exclusive: bool
    ) -> list[int]:
        """Claim the stories capped before ``before`` (the member's midnight) not yet counted in an "N more" line:
        claimed like instant rows, so two processes never both send the line."""
        where = [
            d.user_id == user_id,
            d.state == DmState.CAPPED,
            d.message_id.is_(None),
            d.due_at < before,
            self._claimable(member_id, now, exclusive),
        ]
        with self.db.begin() as conn:
            return sorted(story_id for story_id, _ in _claim_where(conn, member_id, now, where))

    def member(self, user_id: int) -> DmMember:
        with self.db.connect() as conn:
            r = conn.execute(select(member_settings).where(m.user_id == user_id)).first()
        return DmMember(user_id=user_id) if r is None else _member(r)

    def digest_members(self) -> list[DmMember]:
        """Members with a personal digest who are not paused."""
        with self.db.connect() as conn:
            rows = conn.execute(select(member_settings).where(m.digest_time.is_not(None), m.paused.is_(False)))
            return [_member(r) for r in rows]

    def dms_since(self, user_id: int, since: float) -> int:
        """DMs (messages) the member got since ``since``: the daily cap counts these (a bundle is one)."""
        query = select(func.count(d.message_id.distinct())).where(
            d.user_id == user_id, d.sent_at >= since, d.message_id.is_not(None)
        )
        with self.db.connect() as conn:
            return conn.scalar(query) or 0

    def sent(self, keys: Iterable[DmKey], message_id: int, now: float) -> None:
        """Discord confirmed the message carrying these rows."""
        self._settle(keys, state=DmState.SENT, message_id=message_id, sent_at=now, last_error=None)

    def settle(self, keys: Iterable[DmKey], state: DmState, **values: Any) -> None:
        self._settle(keys, state=state, **values)

    def hold(self, keys: Iterable[DmKey], until: float) -> None:
        """Not before ``until`` (quiet hours): the rows wait, unclaimed."""
        self._settle(keys, due_at=until)

    def retry_later(self, keys: Iterable[DmKey], error: str, until: float) -> None:
        self._settle(keys, due_at=until, attempts=d.attempts + 1, last_error=error[:500])

    def members_capped_untold(self, before: float) -> list[int]:
        query = select(d.user_id).where(d.state == DmState.CAPPED, d.message_id.is_(None), d.due_at < before)
        with self.db.connect() as conn:
            return list(conn.scalars(query.distinct()))

    def attempts(self, keys: list[DmKey]) -> list[int]:
        with self.db.connect() as conn:
            return list(conn.scalars(select(d.attempts).where(tuple_(d.story_id, d.user_id).in_(keys))))

    def remember_channel(self, user_id: int, channel_id: int | None) -> None:
        self._upsert(user_id, dm_channel_id=channel_id)

    def pause_closed(self, user_id: int, member_id: str) -> int:
        """Discord's 50007: the member's DMs are closed. Their follows pause (told once, by the follow commands,
        while ``told_at`` is NULL) and every DM still waiting is cancelled; returns how many. ``member_id``'s other
        claims on the member's rows are released."""
        self._upsert(user_id, paused=True, paused_reason="dms_closed", told_at=None)
        with self.db.begin() as conn:
            done = conn.execute(
                update(dm_deliveries)
                .where(d.user_id == user_id, d.state.in_((DmState.POST, DmState.DIGEST)))
                .values(state=DmState.CANCELLED, last_error="50007: DMs closed", claimed_by=None, claimed_at=None)
            )
            # An "N more stories" line being told when Discord answered keeps its rows, free for after a resume.
            mine = and_(d.user_id == user_id, d.claimed_by == member_id)
            conn.execute(update(dm_deliveries).where(mine).values(claimed_by=None, claimed_at=None))
        return done.rowcount or 0

    def forget(self, user_id: int) -> None:
        """Discord's 10013 (unknown user): everything stored about the member goes."""
        with self.db.begin() as conn:
            conn.execute(delete(follows).where(follows.c.user_id == user_id))
            conn.execute(delete(member_settings).where(m.user_id == user_id))
            conn.execute(delete(dm_deliveries).where(d.user_id == user_id))

    def prune(self, keep_days: int, now: float, *, batch: int = 1000) -> int:
        """Delete settled rows (sent, failed, cancelled, and capped ones already counted in an "N more" line) whose
        every moment (planned, due, sent) is older than ``keep_days`` (``personal.keep_days``); returns how many.
        At most ``batch`` rows per statement, each in a transaction of its own, so the write lock is never held
        long. Rows still waiting (post, digest, or capped and not yet told) are kept."""
        # Never younger than the longest day: the daily cap counts the DMs sent since the member's midnight.
        cutoff = now - max(keep_days * DAY, LONGEST_DAY)
        settled = or_(
            d.state.in_((DmState.SENT, DmState.FAILED, DmState.CANCELLED)),
            and_(d.state == DmState.CAPPED, d.message_id.is_not(None)),
        )
        old = and_(
            d.planned_at < cutoff,
            or_(d.due_at.is_(None), d.due_at < cutoff),
            or_(d.sent_at.is_(None), d.sent_at < cutoff),
        )
        picked = select(d.story_id, d.user_id).where(settled, old).limit(batch)
        deleted = 0
        while True:
            with self.db.begin() as conn:
                done = conn.execute(delete(dm_deliveries).where(tuple_(d.story_id, d.user_id).in_(picked))).rowcount
            deleted += done or 0
            if (done or 0) < batch:
                return deleted

    def take_digest_run(self, user_id: int, run: float) -> bool:
        """Claim the member's digest run at ``run`` (compare-and-set on ``last_digest_at``): True once, to one
        process; the run is then done whatever happens next (its stories wait for the next run if it fails)."""
        with self.db.begin() as conn:
            done = conn.execute(
                update(member_settings)
                .where(m.user_id == user_id, or_(m.last_digest_at.is_(None), m.last_digest_at < run))
                .values(last_digest_at=run, updated_at=time.time())
            )
        return (done.rowcount or 0) == 1

    def _settle(self, keys: Iterable[DmKey], **values: Any) -> None:
        keys = list(keys)
        if not keys:
            return
        with self.db.begin() as conn:
            for start in range(0, len(keys), 500):
                conn.execute(_rows(keys[start : start + 500]).values(claimed_by=None, claimed_at=None, **values))

    def _upsert(self, user_id: int, **values: Any) -> None:
        now = time.time()
        stmt = self.backend.insert(member_settings).values(user_id=user_id, created_at=now, updated_at=now, **values)
        with self.db.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_={**values, "updated_at": now}))


def _claim_where(conn: Connection, member_id: str, now: float, where: list[ColumnElement[bool]]) -> list[DmKey]:
    """Claim the rows matching ``where`` for ``member_id`` inside the caller's transaction; returns their keys."""
    if conn.dialect.name == "sqlite":
        # Take the write lock before reading, so the rows read as free stay free until this commits.
        conn.execute(update(dm_deliveries).where(d.story_id == -1).values(claimed_at=None))
    picked = select(d.story_id, d.user_id).where(*where).with_for_update(skip_locked=True, of=dm_deliveries)
    keys = [(r.story_id, r.user_id) for r in conn.execute(picked)]
    if keys:
        conn.execute(_rows(keys).values(claimed_by=member_id, claimed_at=now))
    return keys


def _rows(keys: list[DmKey]) -> Any:
    return update(dm_deliveries).where(tuple_(d.story_id, d.user_id).in_(keys))


def _member(r: Any) -> DmMember:
    return DmMember(
        user_id=r.user_id,
        daily_cap=r.daily_cap,
        digest_time=r.digest_time,
        digest_days=r.digest_days,
        timezone=r.timezone,
        quiet_start=r.quiet_start,
        quiet_end=r.quiet_end,
        paused=bool(r.paused),
        paused_reason=r.paused_reason,
        dm_channel_id=r.dm_channel_id,
        last_digest_at=r.last_digest_at,
        created_at=r.created_at,
    )


def _dm_row(r: Any) -> DmRow:
    return DmRow(
        r.story_id,
        r.user_id,
        r.reason,
        r.attempts,
        Story.from_dict(json.loads(r.data)),
        r.quality,
        r.heat,
        r.published_at,
        r.first_seen,
        None if r.mtime_ns is None else r.mtime_ns / 1e9,
    )
