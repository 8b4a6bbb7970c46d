"""The numbers a chart plots, as plain data: what ``store.chart_data`` reads and ``bot.charts.draw`` draws.

Hours and days are buckets ``[start, start + width)``; series are per channel, in the channels' order of volume.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class HourlyChart:
    """The last 24 hours, hour by hour (the last bucket is the hour now running)."""

    starts: list[float]  # each hour's start (Unix time), oldest first
    now: float
    posts: dict[int, list[int]]  # channel → stories posted (confirmed by Discord) per hour
    failures: list[int]  # deliveries settled failed per hour
    queue: list[int]  # posts planned but not yet made, at each hour's end (the last: now)
    ever_posted: bool  # anything posted in scope, ever: "no posts yet" when not

    @property
    def total_posts(self) -> int:
        return sum(sum(counts) for counts in self.posts.values())

    @property
    def total_failures(self) -> int:
        return sum(self.failures)

    @property
    def empty(self) -> bool:
        """Nothing to plot: no post, failure or waiting post in the window."""
        return not self.total_posts and not self.total_failures and not any(self.queue)


@dataclass(frozen=True, slots=True)
class Discussed:
    """A story the community talked about (signal counts summed over the channels in scope)."""

    story_id: int
    title: str
    reactions: int
    replies: int

    @property
    def score(self) -> int:
        return self.reactions + self.replies


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    """Seven days, day by day (midnight to midnight in the report's time zone; the last is today)."""

    starts: list[float]  # each day's start (Unix time), oldest first
    now: float
    posts: dict[int, list[int]]  # channel → stories posted per day
    topics: list[tuple[str, int]]  # the week's top topics: (topic, stories posted with it), most first
    discussed: list[Discussed] = field(default_factory=list)  # the most discussed stories posted this week
    ever_posted: bool = False

    @property
    def total_posts(self) -> int:
        return sum(sum(counts) for counts in self.posts.values())


def bucket_of(moment: float, starts: list[float], end: float) -> int | None:
    """Which bucket ``moment`` falls in (buckets run from each start to the next, the last to ``end``)."""
    if not starts or moment < starts[0] or moment >= end:
        return None
    return bisect_right(starts, moment) - 1
