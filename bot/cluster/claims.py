"""This process's claims on ledger rows: no two processes send the same (story, channel). The send queues
(bot/send/queue.py) use them through a small protocol; the look in a channel's history before re-sending a row
that was in flight when its sender died is :class:`bot.cluster.adopt.Adopter`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.store.cluster import Claim, ClusterStore

DbCall = Callable[..., Awaitable[Any]]


class Claims:
    """Claim a row before sending it and release it once settled, so no two processes send the same
    (story, channel). ``exclusive``: SQLite, where the lock file makes this the only live process, so a claim
    left by any other member id is a crashed previous run's."""

    def __init__(self, cluster: ClusterStore, member_id: str, db: DbCall, *, exclusive: bool = False) -> None:
        self._cluster = cluster
        self.member_id = member_id
        self._db = db
        self._exclusive = exclusive
        self._releasing = cluster.releasing(member_id)

    async def take(self, key: tuple[int, int]) -> Claim | None:
        """The claim, carrying the row as claimed (``Claim.delivery``) so the sender needs no second read."""
        return await self._db(self._cluster.claim_delivery, self.member_id, key, exclusive=self._exclusive)

    async def release(self, key: tuple[int, int]) -> None:
        await self._db(self._cluster.release, self.member_id, [key])

    def releasing(self) -> dict[str, object]:
        return self._releasing
