"""Cluster SQL: the members table (who runs, holding what, alive until when) and delivery claims.

A member is live while its heartbeat is newer than ``STALE_AFTER`` of its own intervals. A delivery row is
claimed by the member sending it; a claim whose member is not live is taken over by the next claimer, who is told
the row was in flight (``Claim.was_in_flight``) so it can adopt a message already posted instead of posting again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Update,
    bindparam,
    case,
    delete,
    func,
    not_,
    or_,
    select,
    tuple_,
    update,
)

from bot.store import ledger
from bot.store.database import Database, Part
from bot.store.notices import CHANNEL, NOTIFY, payloads
from bot.store.records import Delivery
from bot.store.schema import PENDING_STATES, cluster_members, deliveries, files, stories

STALE_AFTER = 3  # missed heartbeats before a member counts as dead


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str
    host: str
    pid: int
    shard_count: int
    shards_wanted: tuple[int, ...]
    shards_held: tuple[int, ...]
    ingest: bool
    standby: bool  # wants shards it does not hold: connected to nothing, waiting to take over
    started_at: float
    heartbeat_at: float
    every: float


@dataclass(frozen=True, slots=True)
class Claim:
    story_id: int
    channel_id: int
    was_in_flight: bool  # a dead member had claimed it: its post may have reached Discord
    delivery: Delivery | None = None  # the row as claimed, with its story (``claim_delivery``)

    @property
    def key(self) -> tuple[int, int]:
        return (self.story_id, self.channel_id)


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(",") if p)


def _text(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in ids)


def live_condition(now: float | BindParameter[float]) -> ColumnElement[bool]:
    return cluster_members.c.heartbeat_at + cluster_members.c.every * STALE_AFTER > now


class ClusterStore(Part):
    """Members and claims. Async callers run these methods through ``store.run_concurrent``."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._claim_one = {flag: claim_one_statement(exclusive=flag) for flag in (False, True)}

    def notify(self, channel_ids: Iterable[int]) -> None:
        """NOTIFY the listeners about channels, in a transaction of its own (blocking: run it on a store thread)."""
        with self.db.begin() as conn:
            for payload in payloads(channel_ids):
                conn.execute(NOTIFY, {"c": CHANNEL, "p": payload})

    # -- members ------------------------------------------------------------------------------------------------

    def beat(self, member: Member) -> None:
        """Write (or refresh) this member's row."""
        row = {
            "member_id": member.member_id,
            "host": member.host,
            "pid": member.pid,
            "shard_count": member.shard_count,
            "shards_wanted": _text(member.shards_wanted),
            "shards_held": _text(member.shards_held),
            "ingest": member.ingest,
            "standby": member.standby,
            "started_at": member.started_at,
            "heartbeat_at": member.heartbeat_at,
            "every": member.every,
        }
        stmt = self.backend.insert(cluster_members)
        upsert = stmt.on_conflict_do_update(
            index_elements=["member_id"], set_={k: stmt.excluded[k] for k in row if k != "member_id"}
        )
        with self.db.begin() as conn:
            conn.execute(upsert, row)

    def leave(self, member_id: str) -> None:
        """A clean stop: the row goes, and with it any claim still held is free at once."""
        with self.db.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.claimed_by == member_id).values(claimed_by=None))
            conn.execute(delete(cluster_members).where(cluster_members.c.member_id == member_id))

    def members(self, now: float | None = None, *, live_only: bool = True) -> list[Member]:
        now = time.time() if now is None else now
        query = select(cluster_members).order_by(cluster_members.c.started_at, cluster_members.c.member_id)
        if live_only:
            query = query.where(live_condition(now))
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Member(
                r.member_id,
                r.host,
                r.pid,
                r.shard_count,
                _ids(r.shards_wanted),
                _ids(r.shards_held),
                bool(r.ingest),
                bool(r.standby),
                r.started_at,
                r.heartbeat_at,
                r.every,
            )
            for r in rows
        ]

    def expire_superseded(self, me: Member) -> list[str]:
        """Count as gone, at once, the other members whose row says they hold a role ``me`` holds now.

        Roles are exclusive advisory locks, so such a member died (or lost the lock and is exiting): there is no
        need to wait three heartbeats before its claims come back (marked in flight, so they are checked against
        the channel's history) and before the live members' shares are re-split."""
        held = set(me.shards_held)
        gone = [
            m.member_id
            for m in self.members(me.heartbeat_at)
            if m.member_id != me.member_id and (held & set(m.shards_held) or (me.ingest and m.ingest))
        ]
        if gone:
            with self.db.begin() as conn:
                conn.execute(
                    update(cluster_members).where(cluster_members.c.member_id.in_(gone)).values(heartbeat_at=0.0)
                )
        return gone

    def forget_dead(self, older_than: float) -> int:
        """Drop rows of members silent since ``older_than`` (their claims stay reclaimable either way)."""
        with self.db.begin() as conn:
            done = conn.execute(delete(cluster_members).where(cluster_members.c.heartbeat_at < older_than))
        return done.rowcount or 0

    # -- claims -------------------------------------------------------------------------------------------------

    def claim(
        self, member_id: str, channel_ids: Collection[int], *, limit: int = 100, now: float | None = None
    ) -> list[Claim]:
        """Claim up to ``limit`` pending rows of ``channel_ids`` that nobody live is sending. Two members never
        get the same row: PostgreSQL skips rows another claimer has locked; SQLite has one writer at a time."""
        if not channel_ids:
            return []
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            return _claim(conn, member_id, list(channel_ids), limit, now)

    def claim_key(
        self, member_id: str, key: tuple[int, int], *, exclusive: bool = False, now: float | None = None
    ) -> Claim | None:
        """Claim one pending row, or None when it is not pending or a live member is sending it. ``exclusive``
        (SQLite: one process per file, held by its lock file) treats every other member's claim as a dead one's."""
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            got = _claim(conn, member_id, [key[1]], 1, now, story_id=key[0], exclusive=exclusive)
        return got[0] if got else None

    def claim_delivery(
        self, member_id: str, key: tuple[int, int], *, exclusive: bool = False, now: float | None = None
    ) -> Claim | None:
        """``claim_key``, returning with the claim the row and its story (``Claim.delivery``), which the sender
        needs next: on PostgreSQL one statement, with no transaction around it, so a single round trip."""
        now = time.time() if now is None else now
        if self.backend.name == "postgresql":
            params = {"b_member_id": member_id, "b_now": now, "b_story_id": key[0], "b_channel_id": key[1]}
            with self.db.one_statement() as conn:
                r = conn.execute(self._claim_one[exclusive], params).first()
            if r is None:
                return None
            return Claim(r.story_id, r.channel_id, r.prev is not None and r.prev != member_id, ledger.from_row(r))
        with self.db.begin() as conn:
            got = _claim(conn, member_id, [key[1]], 1, now, story_id=key[0], exclusive=exclusive)
            return dataclasses.replace(got[0], delivery=ledger.read(conn, key)) if got else None

    def release(self, member_id: str, keys: Iterable[tuple[int, int]]) -> None:
        """Done with these rows (settled, or left for later): anyone may claim them again."""
        keys = list(keys)
        if not keys:
            return
        d = deliveries.c
        with self.db.one_statement() as conn:
            conn.execute(
                update(deliveries)
                .where(tuple_(d.story_id, d.channel_id).in_(keys), d.claimed_by == member_id)
                .values(claimed_by=None, claimed_at=None)
            )

    def releasing(self, member_id: str) -> dict[str, Any]:
        """Values for an UPDATE of a row (``Store.settle``) that also release ``member_id``'s claim on it, so
        settling and releasing take one statement. Another member's claim is left as it is."""
        mine = deliveries.c.claimed_by == member_id
        return {
            "claimed_by": case((mine, None), else_=deliveries.c.claimed_by),
            "claimed_at": case((mine, None), else_=deliveries.c.claimed_at),
        }

    def pending_by_channel(self) -> dict[int, int]:
        """Pending rows per channel: a shard's queue depth is the sum over the channels it owns."""
        d = deliveries.c
        query = select(d.channel_id, func.count()).where(d.state.in_(PENDING_STATES)).group_by(d.channel_id)
        with self.db.connect() as conn:
            return {int(c): int(n) for c, n in conn.execute(query)}


def _claimable(member_id: str | BindParameter[str], now: float | BindParameter[float], *, exclusive: bool) -> list[Any]:
    """Pending rows that nobody live is sending (``exclusive``: whoever claimed them)."""
    d = deliveries.c
    where: list[Any] = [d.state.in_(PENDING_STATES)]
    if not exclusive:
        live = select(cluster_members.c.member_id).where(live_condition(now))
        where.append(or_(d.claimed_by.is_(None), d.claimed_by == member_id, not_(d.claimed_by.in_(live))))
    return where


def claim_one_statement(*, exclusive: bool) -> Update:
    """PostgreSQL: pick, lock and mark the row ``(:b_story_id, :b_channel_id)`` for ``:b_member_id`` at ``:b_now``,
    returning it with its story and its previous claimer. Built once and reused: SQLAlchemy then skips
    rebuilding the statement and its cache key on every send."""
    d = deliveries.c
    member_id = bindparam("b_member_id", type_=d.claimed_by.type)
    now = bindparam("b_now", type_=d.claimed_at.type)
    picked = (
        select(d.story_id, d.channel_id, d.claimed_by.label("prev"), stories.c.data, files.c.mtime_ns)
        .select_from(
            deliveries.join(stories, stories.c.id == d.story_id).outerjoin(files, files.c.path == stories.c.path)
        )
        .where(
            d.story_id == bindparam("b_story_id", type_=d.story_id.type),
            d.channel_id == bindparam("b_channel_id", type_=d.channel_id.type),
            *_claimable(member_id, now, exclusive=exclusive),
        )
        .with_for_update(skip_locked=True, of=deliveries)
        .cte("picked")
    )
    return (
        update(deliveries)
        .where(d.story_id == picked.c.story_id, d.channel_id == picked.c.channel_id)
        .values(claimed_by=member_id, claimed_at=now)
        .returning(*deliveries.c, picked.c.data, picked.c.mtime_ns, picked.c.prev)
    )


def _claim(
    conn: Connection,
    member_id: str,
    channels: list[int],
    limit: int,
    now: float,
    *,
    story_id: int | None = None,
    exclusive: bool = False,
) -> list[Claim]:
    d = deliveries.c
    story = [] if story_id is None else [d.story_id == story_id]
    candidates = (
        select(d.story_id, d.channel_id, d.claimed_by.label("prev"))
        .where(d.channel_id.in_(channels), *story, *_claimable(member_id, now, exclusive=exclusive))
        .order_by(d.story_id)
        .limit(limit)
        # Concurrent claimers on PostgreSQL each get different rows instead of waiting (SQLite ignores this).
        .with_for_update(skip_locked=True, of=deliveries)
        .cte("candidates")
    )
    if conn.dialect.name == "postgresql":
        # One statement: pick, lock and mark the rows, and return each one's previous claimer.
        marked = (
            update(deliveries)
            .where(d.story_id == candidates.c.story_id, d.channel_id == candidates.c.channel_id)
            .values(claimed_by=member_id, claimed_at=now)
            .returning(d.story_id, d.channel_id, candidates.c.prev)
        )
        got = sorted(conn.execute(marked).all(), key=lambda r: r.story_id)
        return [Claim(r.story_id, r.channel_id, r.prev is not None and r.prev != member_id) for r in got]
    if conn.dialect.name == "sqlite":
        # Take SQLite's write lock before reading (a no-op write does), so the rows read as free stay free until
        # this transaction commits; PostgreSQL instead locks, and other claimers skip, the rows picked below.
        conn.execute(update(deliveries).where(d.story_id == -1).values(claimed_at=None))
    picked = conn.execute(select(candidates.c.story_id, candidates.c.channel_id, candidates.c.prev)).all()
    for r in picked:
        conn.execute(
            update(deliveries)
            .where(d.story_id == r.story_id, d.channel_id == r.channel_id)
            .values(claimed_by=member_id, claimed_at=now)
        )
    return [Claim(r.story_id, r.channel_id, r.prev is not None and r.prev != member_id) for r in picked]
