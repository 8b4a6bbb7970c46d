"""The store's ledger part (``store.ledger``): the delivery ledger's reads and writes outside a scan, each on a
connection of its own. The SQL itself lives in :mod:`bot.store.ledger`, shared with indexing's transactions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection, func, select

from bot.routes.planning import Action
from bot.store import ledger
from bot.store.database import Database, Part
from bot.store.records import Delivery, DeliveryState, HeldStory
from bot.store.schema import deliveries, stories

DeliveryKey = ledger.DeliveryKey
Announce = Callable[[Connection, list[DeliveryKey]], None]


class Ledger(Part):
    """Synchronous; async callers hand these methods to ``store.run`` (the feed) or ``store.run_concurrent``."""

    def __init__(self, db: Database, announce: Announce) -> None:
        super().__init__(db)
        # The store's planning hook: NOTIFYs, inside the transaction, the rows it made pending (cluster only).
        self._announce = announce

    def record(self, actions: Sequence[Action]) -> list[DeliveryKey]:
        """Record actions decided outside a scan (backfill, posts on request) in one transaction."""
        with self.db.begin() as conn:
            keys = ledger.record(conn, actions)
            self._announce(conn, keys)
            return keys

    def posts_since(self, channel_id: int, since: float) -> int:
        """Posts planned to a channel since ``since`` (a route's daily_cap; ``/feed explain``)."""
        with self.db.connect() as conn:
            return ledger.posts_since(conn, channel_id, since)

    def pending(self, now: float | None = None) -> list[DeliveryKey]:
        """Rows to act on; with ``now`` (embargo on), rows held until their story's date are left out."""
        with self.db.one_statement() as conn:
            return ledger.pending(conn, now)

    def released(self, after: float, now: float) -> list[DeliveryKey]:
        with self.db.connect() as conn:
            return ledger.released(conn, after, now)

    def next_release(self, now: float) -> float | None:
        with self.db.connect() as conn:
            return ledger.next_release(conn, now)

    def held(self, now: float) -> list[HeldStory]:
        with self.db.connect() as conn:
            return ledger.held(conn, now)

    def read(self, key: DeliveryKey) -> Delivery | None:
        with self.db.one_statement() as conn:
            return ledger.read(conn, key)

    def settle(self, d: Delivery, state: DeliveryState, **values: object) -> None:
        with self.db.one_statement() as conn:
            ledger.settle(conn, (d.story_id, d.channel_id), d.version, state, **values)

    def record_attempt(self, d: Delivery, error: str) -> None:
        with self.db.one_statement() as conn:
            ledger.record_attempt(conn, (d.story_id, d.channel_id), error)

    def max_message_id(self) -> int:
        with self.db.connect() as conn:
            return conn.scalar(select(func.max(deliveries.c.message_id))) or 0

    def message_title(self, channel_id: int, message_id: int) -> str | None:
        """The title of the story a message was posted for (console mode names a deleted card with it)."""
        with self.db.connect() as conn:
            return conn.scalar(
                select(stories.c.title)
                .join(deliveries, deliveries.c.story_id == stories.c.id)
                .where(deliveries.c.channel_id == channel_id, deliveries.c.message_id == message_id)
                .limit(1)
            )

    def states(self, story_key: str) -> dict[int, tuple[str, int | None]]:
        """channel → (state, message id) of one story's rows."""
        with self.db.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.channel_id, deliveries.c.state, deliveries.c.message_id)
                .join(stories, stories.c.id == deliveries.c.story_id)
                .where(stories.c.key == story_key)
            )
            return {r.channel_id: (r.state, r.message_id) for r in rows}
