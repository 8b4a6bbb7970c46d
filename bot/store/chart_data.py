"""The charts' numbers from the ledger and the signal counts (``store.chart_data``), on both backends.

Posts are counted when Discord confirmed them (``deliveries.sent_at``), failures when their row settled failed
(``updated_at`` of a ``failed`` row). The send queue's depth at an instant is derived, not sampled: a post is
waiting from when it was planned (or, if later, its story's date: an embargoed story waits in the ledger, not in
the queue) until Discord confirmed it, or until its row settled otherwise (failed, cancelled, deleted).
Bucketing happens here in Python: the same arithmetic on both databases, and a week is a few thousand rows.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, true

from bot.charts.data import HOUR, Discussed, HourlyChart, WeeklyReport, bucket_of
from bot.store.database import Part
from bot.store.records import DeliveryState as S
from bot.store.schema import deliveries, stories, story_topics
from bot.store.signal_tables import signal_counts

Channels = Collection[int] | None  # None: every channel (the deployment); else only these (one server's)
HOURS = 24
DAYS = 7
TOP_TOPICS = 8
TOP_DISCUSSED = 5


class ChartDataStore(Part):
    """Read-only; async callers run these through ``store.run_concurrent`` (with the drawing, ``bot.charts.build``)."""

    def hourly(self, now: float, channels: Channels = None) -> HourlyChart:
        """The last 24 hours per hour: posts per channel, failures, and the queue's depth at each hour's end."""
        first = math.floor(now / HOUR) * HOUR - (HOURS - 1) * HOUR
        starts = [first + i * HOUR for i in range(HOURS)]
        end = starts[-1] + HOUR
        d = deliveries.c
        with self.db.connect() as conn:
            sent = conn.execute(
                select(d.channel_id, d.sent_at).where(d.sent_at >= first, d.sent_at < end, _scope(channels))
            ).all()
            failed = conn.execute(
                select(d.updated_at).where(d.state == S.FAILED, d.updated_at >= first, _scope(channels))
            ).all()
            # Every row that could have waited at some moment of the window: still waiting, or touched since it
            # began (leaving the queue settles the row, which sets updated_at).
            waiting = conn.execute(
                select(d.state, d.planned_at, d.sent_at, d.updated_at, stories.c.published_at)
                .join(stories, stories.c.id == d.story_id)
                .where(d.planned_at.is_not(None), or_(d.state == S.POST, d.updated_at >= first), _scope(channels))
            ).all()
            ever = self._ever_posted(conn, channels)
        failures = [0] * HOURS
        for (at,) in failed:
            if (i := bucket_of(at, starts, end)) is not None:
                failures[i] += 1
        spans = [_waiting_span(r) for r in waiting]
        ends = [min(start + HOUR, now) for start in starts]
        queue = [sum(1 for entered, left in spans if entered <= t < left) for t in ends]
        return HourlyChart(starts, now, _per_channel(sent, starts, end), failures, queue, ever)

    def weekly(self, now: float, channels: Channels = None, tz: tzinfo = UTC) -> WeeklyReport:
        """Seven days (the last is today, midnight to midnight in ``tz``): posts per channel per day, the topics
        of the stories posted, and the most discussed of them (reactions + replies)."""
        today = datetime.fromtimestamp(now, tz).date()
        starts = [datetime.combine(today - timedelta(days=k), time(), tzinfo=tz).timestamp() for k in range(6, -1, -1)]
        end = datetime.combine(today + timedelta(days=1), time(), tzinfo=tz).timestamp()
        d = deliveries.c
        posted_this_week = and_(d.sent_at >= starts[0], d.sent_at < end, _scope(channels))
        with self.db.connect() as conn:
            sent = conn.execute(select(d.channel_id, d.sent_at).where(posted_this_week)).all()
            topics = conn.execute(_top_topics(posted_this_week)).all()
            discussed = conn.execute(_most_discussed(posted_this_week)).all()
            ever = self._ever_posted(conn, channels)
        return WeeklyReport(
            starts,
            now,
            _per_channel(sent, starts, end),
            [(r.topic, r.n) for r in topics],
            [Discussed(r.id, r.title, int(r.reactions), int(r.replies)) for r in discussed],
            ever,
        )

    @staticmethod
    def _ever_posted(conn: Any, channels: Channels) -> bool:
        d = deliveries.c
        query = select(literal(1)).where(or_(d.sent_at.is_not(None), d.state == S.SENT), _scope(channels)).limit(1)
        return conn.scalar(query) is not None


def _scope(channels: Channels) -> ColumnElement[bool]:
    return true() if channels is None else deliveries.c.channel_id.in_(list(channels))


def _waiting_span(r: Any) -> tuple[float, float]:
    """When a planned post entered the queue and when it left it (infinity: it is still waiting)."""
    entered = max(r.planned_at, r.published_at or 0.0)
    if r.sent_at is not None and r.sent_at >= r.planned_at:
        return entered, r.sent_at
    # Not posted since it was planned: still waiting, unless its row settled some other way.
    return entered, math.inf if r.state == S.POST else r.updated_at


def _per_channel(rows: Iterable[Any], starts: list[float], end: float) -> dict[int, list[int]]:
    """channel → posts per bucket, the busiest channel first."""
    found: dict[int, list[int]] = {}
    for channel_id, at in rows:
        if (i := bucket_of(at, starts, end)) is not None:
            found.setdefault(channel_id, [0] * len(starts))[i] += 1
    return dict(sorted(found.items(), key=lambda item: (-sum(item[1]), item[0])))


def _top_topics(posted: ColumnElement[bool]) -> Select[Any]:
    n = func.count(func.distinct(story_topics.c.story_id)).label("n")
    return (
        select(func.min(story_topics.c.topic).label("topic"), n)
        .join(deliveries, deliveries.c.story_id == story_topics.c.story_id)
        .where(posted)
        .group_by(story_topics.c.norm)
        .order_by(n.desc(), story_topics.c.norm)
        .limit(TOP_TOPICS)
    )


def _most_discussed(posted: ColumnElement[bool]) -> Select[Any]:
    s = signal_counts.c
    reactions, replies = func.sum(s.reactions), func.sum(s.replies)
    return (
        select(stories.c.id, stories.c.title, reactions.label("reactions"), replies.label("replies"))
        .select_from(signal_counts)
        .join(deliveries, and_(deliveries.c.story_id == s.story_id, deliveries.c.channel_id == s.channel_id))
        .join(stories, stories.c.id == s.story_id)
        .where(posted)
        .group_by(stories.c.id, stories.c.title)
        .having(reactions + replies > 0)
        .order_by((reactions + replies).desc(), stories.c.id.desc())
        .limit(TOP_DISCUSSED)
    )
