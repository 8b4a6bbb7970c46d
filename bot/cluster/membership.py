"""This process as a member of the cluster: its row in ``cluster_members``, refreshed every few seconds with
the roles it holds, and its share of the global rate limit, re-sized from the live senders each beat.

A hot standby connects no gateway and sends nothing, so it does not divide the limit: it keeps to the joining
share (its few calls fit in the headroom) and, once it takes over, joins the split like a new member would."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from bot.cluster.fairshare import TokenBucket, joining_share, member_share
from bot.cluster.locks import Role
from bot.sharding import ShardPlan
from bot.store import Store
from bot.store.cluster import STALE_AFTER, Member
from bot.store.errors import StoreError

log = logging.getLogger(__name__)


class HeldRoles(Protocol):
    """What membership reads of the role locks (``RoleLocks``)."""

    @property
    def held(self) -> frozenset[Role]: ...


class Membership:
    def __init__(
        self,
        store: Store,
        shards: ShardPlan,
        *,
        every: float,
        locks: HeldRoles | None = None,
        bucket: TokenBucket | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._cluster = store.cluster
        self._single_process = store.single_process
        self._db = store.run_concurrent
        self._shards = shards
        self._every = every
        self._locks = locks
        self.bucket = bucket
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.member_id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.started_at = clock()
        # When our row was first committed (None: not yet), and whether every live member has counted us since.
        self._joined_at: float | None = None
        self._counted = False
        self._last_beat: float | None = None
        self._was_standby = False

    def snapshot(self, now: float) -> Member:
        wanted = self._shards.shard_ids
        if self._locks is None:  # SQLite: the one process holds everything it was given
            held, ingest = wanted, True
        else:
            roles = self._locks.held
            held = tuple(n for n in wanted if Role.shard(n) in roles)
            ingest = Role.ingest() in roles
        return Member(
            self.member_id,
            self.host,
            self.pid,
            self._shards.shard_count,
            wanted,
            held,
            ingest,
            held != wanted,
            self.started_at,
            now,
            self._every,
        )

    def role_names(self) -> tuple[list[str], list[str]]:
        """(wanted, held) as the metrics name them: ``shard:0``, ``ingest``."""
        member = self.snapshot(time.time())
        names = [f"shard:{n}" for n in member.shards_held] + (["ingest"] if member.ingest else [])
        return [f"shard:{n}" for n in self._shards.shard_ids] + ["ingest"], names

    def beat_once(self) -> int:
        """Write our row; returns how many members are live (ourselves and standbys included)."""
        return len(self._beat())

    def _beat(self) -> list[Member]:
        now = self._clock()
        me = self.snapshot(now)
        stalled = self._last_beat is not None and now - self._last_beat > self._every * STALE_AFTER
        if stalled or (self._was_standby and not me.standby):
            # Silent long enough for the others to count us out, or a standby that just took over: either way the
            # others do not count us as a sender yet, so we join again, as far as they can tell.
            self._joined_at, self._counted = None, False
        self._was_standby = me.standby
        self._cluster.beat(me)
        if self._locks is not None:
            gone = self._cluster.expire_superseded(me)
            if gone:
                log.info("Members %s held roles this process holds now: counted as gone", ", ".join(gone))
        self._last_beat = now
        if self._joined_at is None:
            self._joined_at = self._clock()  # after the commit: a beat stamped later reads our row
        return self._cluster.members(now)

    def share_once(self) -> float:
        """Beat, and return this process's share of the global limit (requests per second).

        The others re-count the members only when they beat: until each of them has beaten since our row was
        committed (each beat writes, then counts), they still split the whole limit among themselves, and an equal
        share taken at once would put the cluster over Discord's global limit for up to a heartbeat."""
        senders = [m for m in self._beat() if not m.standby]
        if self._was_standby:
            return joining_share()
        if not self._counted:
            assert self._joined_at is not None
            joined = self._joined_at
            self._counted = all(m.heartbeat_at > joined for m in senders if m.member_id != self.member_id)
            # Said only where processes share the database: a lone SQLite process (console mode, a single bot) is
            # no cluster, and "1 sending" would only make a newcomer wonder which others there are.
            if self._counted and (len(senders) > 1 or not self._single_process):
                log.info(
                    "Every live member counts this process now: %d sending, %.1f requests/s each",
                    len(senders),
                    member_share(len(senders), counted_by_all=True),
                )
        return member_share(len(senders), counted_by_all=self._counted)

    async def run(self) -> None:
        """Beat until cancelled; a failed write is logged, not fatal (the others then see us as gone)."""
        while True:
            try:
                share = await self._db(self.share_once)
                if self.bucket is not None:
                    self.bucket.set_rate(share)
            except Exception as exc:  # the task's top: a failed beat must not end the beating
                log.warning("Could not write the cluster heartbeat: %s", exc)
            await asyncio.sleep(self._every)

    async def leave(self) -> None:
        try:
            await self._db(self._cluster.leave, self.member_id)
        except StoreError as exc:
            log.warning("Could not remove this process from cluster_members: %s", exc)
