"""This process as a member of the cluster: its row in ``cluster_members``, refreshed every few seconds with
the roles it holds, and its share of the global rate limit, re-sized from the live member count each beat."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

from bot.cluster.fairshare import TokenBucket, member_share
from bot.cluster.locks import Role, RoleLocks
from bot.sharding import ShardPlan
from bot.store.cluster import STALE_AFTER, ClusterStore, Member

log = logging.getLogger(__name__)


class Membership:
    def __init__(
        self,
        cluster: ClusterStore,
        shards: ShardPlan,
        *,
        every: float,
        locks: RoleLocks | None = None,
        bucket: TokenBucket | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._cluster = cluster
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
        """Write our row; returns how many members are live (ourselves included)."""
        return len(self._beat())

    def _beat(self) -> list[Member]:
        now = self._clock()
        if self._last_beat is not None and now - self._last_beat > self._every * STALE_AFTER:
            # Silent long enough for the others to count us out: we join again, as far as they can tell.
            self._joined_at, self._counted = None, False
        self._cluster.beat(self.snapshot(now))
        self._last_beat = now
        if self._joined_at is None:
            self._joined_at = self._clock()  # after the commit: a beat stamped later reads our row
        return self._cluster.members(now)

    def share_once(self) -> float:
        """Beat, and return this process's share of the global limit (requests per second).

        The others re-count the members only when they beat: until each of them has beaten since our row was
        committed (each beat writes, then counts), they still split the whole limit among themselves, and an equal
        share taken at once would put the cluster over Discord's global limit for up to a heartbeat."""
        members = self._beat()
        if not self._counted:
            assert self._joined_at is not None
            joined = self._joined_at
            self._counted = all(m.heartbeat_at > joined for m in members if m.member_id != self.member_id)
        return member_share(len(members), counted_by_all=self._counted)

    async def run(self) -> None:
        """Beat until cancelled; a failed write is logged, not fatal (the others then see us as gone)."""
        store = self._cluster.store
        while True:
            try:
                share = await store.run_concurrent(self.share_once)
                if self.bucket is not None:
                    self.bucket.set_rate(share)
            except Exception as exc:
                log.warning("Could not write the cluster heartbeat: %s", exc)
            await asyncio.sleep(self._every)

    def leave(self) -> None:
        try:
            self._cluster.leave(self.member_id)
        except Exception as exc:
            log.warning("Could not remove this process from cluster_members: %s", exc)
