"""Taking over a claim row whose claimer died mid-post: the digests' runs and the weekly reports share it.

A row is orphaned when it is still ``posting``, not ours, and (in a cluster) its claimer is not a live member;
on SQLite one process owns the file, so any claim left by another id is a dead run's (``exclusive``). Exactly one
taker wins: SQLite's write lock is taken before reading, PostgreSQL locks the row (``SKIP LOCKED``)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Table, and_, not_, or_, select, update

from bot.store.cluster import live_condition
from bot.store.database import Database
from bot.store.digest_tables import RUN_POSTING
from bot.store.schema import cluster_members


def orphaned(table: Table, member_id: str, exclusive: bool, now: float | None) -> list[ColumnElement[bool]]:
    """The terms of a claim row (``state``, ``claimed_by``) that a dead process left ``posting``."""
    c = table.c
    mine = and_(c.claimed_by.is_not(None), c.claimed_by == member_id)
    where: list[ColumnElement[bool]] = [c.state == RUN_POSTING, not_(mine)]
    if not exclusive:
        live = select(cluster_members.c.member_id).where(live_condition(time.time() if now is None else now))
        where.append(or_(c.claimed_by.is_(None), not_(c.claimed_by.in_(live))))
    return where


def take_over(
    db: Database,
    table: Table,
    key: list[ColumnElement[bool]],
    read: list[Column[Any]],
    member_id: str,
    *,
    exclusive: bool,
    now: float,
    also: list[ColumnElement[bool]] | None = None,
) -> Row[Any] | None:
    """Re-claim the row at ``key`` for ``member_id`` if it is orphaned (and meets ``also``); returns its ``read``
    columns as they were (the dead claimer's), or None when it is done, live, ours, or another taker won."""
    with db.begin() as conn:
        if conn.dialect.name == "sqlite":
            # Take SQLite's write lock before reading, so the row read as orphaned stays so until we commit.
            conn.execute(update(table).where(table.c.claimed_by == "\x00").values(claimed_at=0))
        row = conn.execute(
            select(*read)
            .where(*key, *orphaned(table, member_id, exclusive, now), *(also or []))
            # A concurrent taker on PostgreSQL skips the row we locked (and then finds it live: ours).
            .with_for_update(skip_locked=True, of=table)
        ).first()
        if row is not None:
            conn.execute(update(table).where(*key).values(claimed_by=member_id, claimed_at=now))
    return row
