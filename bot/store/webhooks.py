"""The store's part for channel kinds: each channel's Newsdesk webhook, and crosspost outcomes for status."""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy import and_, delete, func, select, update

from bot.store.database import Part
from bot.store.schema import channel_webhooks, deliveries

Webhook = tuple[int, str]  # (id, token); the token is a secret: never log it


class WebhookStore(Part):
    """Synchronous; async callers hand these methods to ``store.run_concurrent``."""

    def webhook_for(self, channel_id: int) -> Webhook | None:
        with self.db.connect() as conn:
            row = conn.execute(
                select(channel_webhooks.c.webhook_id, channel_webhooks.c.token).where(
                    channel_webhooks.c.channel_id == channel_id
                )
            ).first()
        return (row.webhook_id, row.token) if row else None

    def webhook_by_id(self, webhook_id: int) -> Webhook | None:
        with self.db.connect() as conn:
            token = conn.scalar(select(channel_webhooks.c.token).where(channel_webhooks.c.webhook_id == webhook_id))
        return (webhook_id, token) if token else None

    def save_webhook(self, channel_id: int, webhook_id: int, token: str) -> None:
        with self.db.begin() as conn:
            stmt = self.backend.insert(channel_webhooks).values(
                channel_id=channel_id, webhook_id=webhook_id, token=token, created_at=time.time()
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["channel_id"], set_={"webhook_id": webhook_id, "token": token}
                )
            )

    def forget_webhook(self, webhook_id: int) -> None:
        with self.db.begin() as conn:
            conn.execute(delete(channel_webhooks).where(channel_webhooks.c.webhook_id == webhook_id))

    def record_crosspost(self, story_id: int, channel_id: int, error: str | None) -> None:
        """The crosspost went through (``error`` None) or not, and why: shown by ``newsdesk status``."""
        with self.db.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.story_id == story_id, deliveries.c.channel_id == channel_id)
                .values(crossposted=error is None, crosspost_error=None if error is None else error[:500])
            )

    def mark_sending(self, story_id: int, channel_id: int) -> None:
        """About to make a post that carries no nonce (forum post, webhook message, thread, crosspost): the row
        counts as attempted, so a restart after a crash looks for the post before making it again."""
        with self.db.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.story_id == story_id, deliveries.c.channel_id == channel_id)
                .values(attempts=deliveries.c.attempts + 1, updated_at=time.time())
            )

    def crossposts_due(self, channel_ids: Collection[int]) -> list[tuple[int, int, int]]:
        """(story, channel, message) of posts whose crosspost was wanted but never answered (not even a failure):
        the process died before or during it."""
        d = deliveries.c
        where = and_(
            d.crossposted.is_(False),
            d.crosspost_error.is_(None),
            d.message_id.is_not(None),
            d.channel_id.in_(list(channel_ids)),
        )
        with self.db.connect() as conn:
            rows = conn.execute(select(d.story_id, d.channel_id, d.message_id).where(where)).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def unpublished(self) -> dict[int, tuple[int, str]]:
        """channel → (posts not crossposted, the latest reason) for announcement routes with ``publish``."""
        where = and_(deliveries.c.crossposted.is_(False), deliveries.c.message_id.is_not(None))
        with self.db.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.channel_id, func.count(), func.max(deliveries.c.crosspost_error))
                .where(where)
                .group_by(deliveries.c.channel_id)
            ).all()
        return {r[0]: (r[1], r[2] or "not published yet") for r in rows}
