"""This process as a member of the cluster: its row in ``cluster_members``, refreshed every few seconds with
the roles it holds, and its share of the global rate limit, re-sized from the live member count each beat."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from bot.cluster.fairshare import TokenBucket, fair_share
from bot.cluster.locks import Role, RoleLocks
from bot.sharding import ShardPlan
from bot.store.cluster import ClusterStore, Member

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
    ) -> None:
        self._cluster = cluster
        self._shards = shards
        self._every = every
        self._locks = locks
        self.bucket = bucket
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.member_id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.started_at = time.time()

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
        now = time.time()
        self._cluster.beat(self.snapshot(now))
        return len(self._cluster.members(now))

    async def run(self) -> None:
        """Beat until cancelled; a failed write is logged, not fatal (the others then see us as gone)."""
        store = self._cluster.store
        while True:
            try:
                live = await store.run_concurrent(self.beat_once)
                if self.bucket is not None:
                    self.bucket.set_rate(fair_share(live))
            except Exception as exc:
                log.warning("Could not write the cluster heartbeat: %s", exc)
            await asyncio.sleep(self._every)

    def leave(self) -> None:
        try:
            self._cluster.leave(self.member_id)
        except Exception as exc:
            log.warning("Could not remove this process from cluster_members: %s", exc)
