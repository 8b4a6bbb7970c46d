"""Reading the community's counts (``signal_counts``): per story, per channel, and the most discussed of a server.

The signal feature writes them; the ranking (``bot.signal.ranking``) and ``/newsdesk top`` read them here. Each
read is one statement, however many stories it asks about (the ids go in as one expanding parameter)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.signal.ranking import REACTION_WEIGHT, REPLY_WEIGHT, SHARE_WEIGHT, Engagement
from bot.store.database import Part
from bot.store.schema import stories
from bot.store.signal_tables import signal_counts

# SQLite binds each id of an expanding IN as its own parameter; its limit is 32,766.
_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class Discussed:
    """One of a channel's most discussed stories."""

    channel_id: int
    story_id: int
    title: str
    web_url: str
    engagement: Engagement


class SignalReads(Part):
    """Async callers run these through ``store.run_concurrent``."""

    def totals(self, story_ids: Sequence[int]) -> dict[int, Engagement]:
        """The counts of each story that has any, summed over its channels."""
        c = signal_counts.c
        found: dict[int, Engagement] = {}
        with self.db.connect() as conn:
            for chunk in _chunks(story_ids):
                query = (
                    select(c.story_id, func.sum(c.reactions), func.sum(c.replies), func.sum(c.shares))
                    .where(c.story_id.in_(chunk))
                    .group_by(c.story_id)
                )
                found.update((r[0], Engagement(int(r[1]), int(r[2]), int(r[3]))) for r in conn.execute(query))
        return found

    def per_channel(self, story_ids: Sequence[int]) -> dict[int, dict[int, Engagement]]:
        """Story → channel → counts, for the stories that have any."""
        c = signal_counts.c
        found: dict[int, dict[int, Engagement]] = {}
        with self.db.connect() as conn:
            for chunk in _chunks(story_ids):
                query = select(c.story_id, c.channel_id, c.reactions, c.replies, c.shares).where(c.story_id.in_(chunk))
                for r in conn.execute(query):
                    found.setdefault(r.story_id, {})[r.channel_id] = Engagement(r.reactions, r.replies, r.shares)
        return found

    def engaged(self) -> list[int]:
        """Every story with a count above zero (kept ``signals.keep_days``, so a bounded list)."""
        c = signal_counts.c
        busy = (c.reactions > 0) | (c.replies > 0) | (c.shares > 0)
        with self.db.connect() as conn:
            return list(conn.scalars(select(c.story_id).where(busy).distinct()))

    def most_discussed(self, channel_ids: Collection[int], since: float, per_channel: int) -> list[Discussed]:
        """Per channel, its ``per_channel`` most discussed stories with activity since ``since``: by weighted
        engagement (undecayed: the period is the window), then newest activity, then story id. One statement."""
        if not channel_ids or per_channel < 1:
            return []
        c = signal_counts.c
        weighted = REACTION_WEIGHT * c.reactions + REPLY_WEIGHT * c.replies + SHARE_WEIGHT * c.shares
        place = (
            func.row_number()
            .over(partition_by=c.channel_id, order_by=(weighted.desc(), c.updated_at.desc(), c.story_id.desc()))
            .label("place")
        )
        ranked = (
            select(c.channel_id, c.story_id, c.reactions, c.replies, c.shares, place)
            .where(c.channel_id.in_(list(channel_ids)), c.updated_at >= since, weighted > 0)
            .subquery()
        )
        query = (
            select(ranked, stories.c.title, stories.c.web_url)
            .join(stories, stories.c.id == ranked.c.story_id)
            .where(ranked.c.place <= per_channel)
            .order_by(ranked.c.channel_id, ranked.c.place)
        )
        with self.db.connect() as conn:
            return [
                Discussed(r.channel_id, r.story_id, r.title, r.web_url, Engagement(r.reactions, r.replies, r.shares))
                for r in conn.execute(query)
            ]


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]
