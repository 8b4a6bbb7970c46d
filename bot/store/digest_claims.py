"""Digest run keys as claims: who is posting which run, and taking over a run whose claimer died.

A run key is claimed once (its primary key) with the claimer's member id, state ``posting`` and the run's exact
messages (an opaque JSON ``plan`` the runner wrote). Recording the run turns it ``done`` in the same transaction.
A ``posting`` key whose claimer is not live any more (PostgreSQL: its ``cluster_members`` heartbeat expired;
SQLite, ``exclusive``: any other member id, since the lock file makes this the only process) is taken over by one
process only: the row is locked (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: the write lock) and re-claimed
only if it still names the dead claimer.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, select, update

from bot.store import takeover
from bot.store.database import Part
from bot.store.digest_tables import RUN_DONE, RUN_POSTING, digest_run_keys, digests


@dataclass(frozen=True, slots=True)
class RunClaim:
    """A run taken over from a dead claimer: resume it from ``plan``."""

    digest_id: int
    run_key: str
    previous: str | None  # the dead claimer's member id
    plan: str


class DigestRunKeys(Part):
    """Async callers run these methods through ``store.run_concurrent``."""

    def claim(
        self,
        digest_id: int,
        run_key: str,
        *,
        member_id: str | None = None,
        plan: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Take the right to post run ``run_key`` of the digest: True once per key, False ever after (and when
        the digest is gone). The insert is the claim, so two processes firing the same run cannot both win."""
        stmt = self.backend.insert(digest_run_keys).on_conflict_do_nothing(index_elements=["digest_id", "run_key"])
        values = {
            "digest_id": digest_id,
            "run_key": run_key,
            "claimed_at": time.time() if now is None else now,
            "claimed_by": member_id,
            "state": RUN_POSTING,
            "plan": plan,
        }
        with self.db.begin() as conn:
            if conn.scalar(select(digests.c.id).where(digests.c.id == digest_id)) is None:
                return False
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
            return conn.execute(stmt.values(**values).returning(digest_run_keys.c.run_key)).first() is not None

    def state(self, digest_id: int, run_key: str) -> tuple[str, str | None] | None:
        """(state, claimed_by) of a key, or None when it was never claimed."""
        k = digest_run_keys.c
        with self.db.connect() as conn:
            row = conn.execute(select(k.state, k.claimed_by).where(k.digest_id == digest_id, k.run_key == run_key))
            found = row.first()
        return (found.state, found.claimed_by) if found else None

    def orphans(
        self, member_id: str, digest_ids: Collection[int], *, exclusive: bool = False, now: float | None = None
    ) -> list[tuple[int, str]]:
        """(digest id, run key) of the runs of ``digest_ids`` still posting under a claimer that is not live."""
        if not digest_ids:
            return []
        k = digest_run_keys.c
        query = (
            select(k.digest_id, k.run_key)
            .where(k.digest_id.in_(list(digest_ids)), *self._orphaned(member_id, exclusive, now))
            .order_by(k.claimed_at)
        )
        with self.db.connect() as conn:
            return [(int(r.digest_id), str(r.run_key)) for r in conn.execute(query)]

    def take_over(
        self, digest_id: int, run_key: str, member_id: str, *, exclusive: bool = False, now: float | None = None
    ) -> RunClaim | None:
        """Re-claim one orphaned run for ``member_id``; None when it is done, live, or another taker won."""
        k = digest_run_keys.c
        row = takeover.take_over(
            self.db,
            digest_run_keys,
            [k.digest_id == digest_id, k.run_key == run_key],
            [k.claimed_by, k.plan],
            member_id,
            exclusive=exclusive,
            now=time.time() if now is None else now,
            also=[k.plan.is_not(None)],
        )
        return None if row is None else RunClaim(digest_id, run_key, row.claimed_by, row.plan)

    @staticmethod
    def _orphaned(member_id: str, exclusive: bool, now: float | None) -> list[ColumnElement[bool]]:
        return [*takeover.orphaned(digest_run_keys, member_id, exclusive, now), digest_run_keys.c.plan.is_not(None)]


def finish(conn: Connection, digest_id: int, run_key: str) -> None:
    """The run is recorded: its key is done for good (in the record's transaction)."""
    k = digest_run_keys.c
    conn.execute(
        update(digest_run_keys).where(k.digest_id == digest_id, k.run_key == run_key).values(state=RUN_DONE, plan=None)
    )
