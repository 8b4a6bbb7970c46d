"""The one-line text beside each chart, so the report says what matters without the picture."""

from __future__ import annotations

from collections.abc import Mapping

from bot.charts.data import HourlyChart, WeeklyReport
from bot.render.text import clean_line, truncate


def channel_name(channel_id: int, names: Mapping[int, str]) -> str:
    """A channel as the config names it (``#news``), else its id."""
    name = names.get(channel_id)
    return f"#{clean_line(name)}" if name else str(channel_id)


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def status_summary(chart: HourlyChart) -> str:
    if not chart.ever_posted and chart.empty:
        return "No posts yet."
    waiting = chart.queue[-1] if chart.queue else 0
    peak = max(chart.queue, default=0)
    return (
        f"Last 24 h: {chart.total_posts} posted in {_n(len(chart.posts), 'channel')}, "
        f"{chart.total_failures} failed, {waiting} waiting now (peak {peak})."
    )


def weekly_summary(report: WeeklyReport, names: Mapping[int, str]) -> str:
    if not report.ever_posted and not report.total_posts:
        return "No posts yet."
    parts = [f"This week: {_n(report.total_posts, 'post')} in {_n(len(report.posts), 'channel')}"]
    if report.posts:
        busiest = next(iter(report.posts))
        parts.append(f"busiest {channel_name(busiest, names)}")
    if report.topics:
        parts.append("top topics " + ", ".join(f"{clean_line(t)} ({n})" for t, n in report.topics[:3]))
    if report.discussed:
        top = report.discussed[0]
        title = truncate(clean_line(top.title), 80)
        parts.append(
            f"most discussed '{title}' ({_n(top.reactions, 'reaction')}, {_n(top.replies, 'reply', 'replies')})"
        )
    return "; ".join(parts) + "."
