"""The weekly report as a PNG: posts per channel per day (stacked), the week's top topics, and the stories the
community discussed most (reactions and replies), titles cut to fit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from bot.charts import theme
from bot.charts.data import WeeklyReport
from bot.charts.draw import legend, new_figure, say, series, stacked_bars, style, to_png
from bot.charts.summary import weekly_summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def weekly_figure(report: WeeklyReport, names: Mapping[int, str], tz: tzinfo = UTC) -> Figure:
    figure = new_figure("Newsdesk: the week", weekly_summary(report, names))
    if not report.total_posts:
        say(figure, "No posts yet" if not report.ever_posted else "No posts this week")
        return figure
    days = figure.add_axes((0.06, 0.50, 0.90, 0.32))
    style(days)
    data = series(report.posts, names)
    stacked_bars(days, data)
    labels = [datetime.fromtimestamp(start, tz).strftime("%a %d") for start in report.starts]
    days.set_xticks(range(len(labels)), labels)
    totals = [sum(column) for column in zip(*(counts for _label, counts in data), strict=True)]
    days.set_ylim(0, max(1, *totals) * 1.35)
    days.set_ylabel("posts per day", color=theme.MUTED)
    legend(days)
    _ranked(figure.add_axes((0.17, 0.07, 0.26, 0.32)), "Top topics", report.topics[:6], 22)
    discussed = [(s.title, s.score) for s in report.discussed]
    _ranked(figure.add_axes((0.62, 0.07, 0.34, 0.32)), "Most discussed (reactions + replies)", discussed, 34)
    return figure


def _ranked(ax: Axes, title: str, items: list[tuple[str, int]], width: int = 24) -> None:
    """Horizontal bars, the first on top, each labelled with its count."""
    style(ax)
    ax.grid(False)
    ax.set_title(title, color=theme.TEXT, fontsize=11, loc="left")
    if not items:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, "none yet", color=theme.MUTED, ha="center", va="center", transform=ax.transAxes)
        return
    rows = list(reversed(items))
    ax.barh(range(len(rows)), [n for _t, n in rows], color=theme.SERIES[0], height=0.7)
    ax.set_yticks(range(len(rows)), [theme.plain(label, width) for label, _n in rows])
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    for y, (_label, n) in enumerate(rows):
        ax.text(n, y, f" {n}", color=theme.TEXT, va="center", fontsize=9)
    ax.set_xlim(0, max(n for _t, n in rows) * 1.2)


def weekly_png(report: WeeklyReport, names: Mapping[int, str], tz: tzinfo = UTC) -> bytes:
    return to_png(weekly_figure(report, names, tz))
