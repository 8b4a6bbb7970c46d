"""This process's claims on ledger rows, and the look in a channel's history before re-sending a row that was in
flight when its sender died. The send queues (bot/send/delivery.py) use both through small protocols."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from bot.cluster.adopt import HISTORY_LIMIT, Message, find_message
from bot.store.cluster import Claim, ClusterStore

log = logging.getLogger(__name__)

T = TypeVar("T")
DbCall = Callable[..., Awaitable[Any]]


class History(Protocol):
    """A channel's newest messages as Discord returns them (``GET /channels/{id}/messages``, newest first)."""

    async def recent_messages(self, channel_id: int, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]: ...


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


class Adopter:
    """Finds a post of ``link`` by this bot (or through one of its webhooks) among the channel's recent messages
    (history carries no nonces)."""

    def __init__(self, history: History, author_id: int | None) -> None:
        self._history = history
        self._author_id = author_id

    async def find(self, channel_id: int, link: str) -> int | None:
        found = await self.find_message(channel_id, link)
        return None if found is None else int(found["id"])

    async def find_message(self, channel_id: int, link: str, *, webhook_id: int | None = None) -> Message | None:
        """The newest such message as Discord returns it (its ``thread`` and flags tell what else was done)."""
        try:
            messages = await self._history.recent_messages(channel_id, HISTORY_LIMIT)
        except Exception as exc:
            # Without the history we cannot tell: posting again is the lesser harm (the nonce may still catch it).
            log.warning("Channel %s: could not read recent messages to adopt a post: %s", channel_id, exc)
            return None
        return find_message(messages, link, author_id=self._author_id, webhook_id=webhook_id)
