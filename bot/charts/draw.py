"""The status chart as a PNG: the last 24 hours per hour, posts per channel stacked, failures marked, the send
queue's depth as a line on its own axis.

matplotlib is imported inside these functions: start-up and ``newsdesk --help`` never pay for it. Only the
object-oriented API is used (a ``Figure`` printed by the Agg canvas, no pyplot and its global state), so charts
drawn on several threads at once never touch each other.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from bot.charts import theme
from bot.charts.data import HourlyChart
from bot.charts.summary import channel_name, status_summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Series = list[tuple[str, list[int]]]


def to_png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def new_figure(title: str, subtitle: str) -> Figure:
    """An opaque card with a title and the one-line summary under it."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=theme.SIZE, dpi=theme.DPI, facecolor=theme.CARD)
    figure.text(0.02, 0.95, theme.plain(title, 80), color=theme.TEXT, fontsize=16, weight="bold", va="center")
    figure.text(0.02, 0.895, theme.plain(subtitle, 135), color=theme.MUTED, fontsize=11, va="center")
    return figure


def style(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_facecolor(theme.CARD)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(theme.GRID)
    ax.tick_params(colors=theme.MUTED, labelsize=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color=theme.GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def say(figure: Figure, message: str) -> None:
    """A chart with nothing to plot says so in words, not with an empty axis."""
    figure.text(0.5, 0.45, message, color=theme.TEXT, fontsize=22, ha="center", va="center")


def series(posts: Mapping[int, Sequence[int]], names: Mapping[int, str]) -> Series:
    """Per-channel series, busiest first (``posts`` comes that way); past the palette, one "other" series."""
    items = list(posts.items())
    shown = items if len(items) <= theme.MAX_SERIES else items[: theme.MAX_SERIES - 1]
    found: Series = [(theme.plain(channel_name(c, names), 28), list(counts)) for c, counts in shown]
    rest = items[len(shown) :]
    if rest:
        summed = [sum(column) for column in zip(*(counts for _c, counts in rest), strict=True)]
        found.append((f"other ({len(rest)} channels)", summed))
    return found


def stacked_bars(ax: Axes, data: Series) -> None:
    width = len(data[0][1]) if data else 0
    bottom = [0] * width
    for index, (label, counts) in enumerate(data):
        color = theme.OTHER if label.startswith("other (") else theme.SERIES[index % len(theme.SERIES)]
        ax.bar(range(width), counts, bottom=bottom, color=color, label=label, width=0.8, linewidth=0)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]


def legend(ax: Axes, extra: Axes | None = None) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if extra is not None:
        more, more_labels = extra.get_legend_handles_labels()
        handles, labels = handles + more, labels + more_labels
    if handles:
        ax.legend(
            handles,
            labels,
            loc="upper left",
            ncol=min(5, len(handles)),
            frameon=False,
            labelcolor=theme.TEXT,
            fontsize=9,
        )


def status_figure(chart: HourlyChart, names: Mapping[int, str], tz: tzinfo = UTC) -> Figure:
    figure = new_figure("Newsdesk: the last 24 hours", status_summary(chart))
    if chart.empty:
        say(figure, "No posts yet" if not chart.ever_posted else "Nothing posted, failed or waiting in 24 hours")
        return figure
    ax = figure.add_axes((0.06, 0.12, 0.86, 0.68))
    style(ax)
    stacked_bars(ax, series(chart.posts, names))
    failed = [(i, n) for i, n in enumerate(chart.failures) if n]
    if failed:
        ax.scatter(
            [i for i, _n in failed],
            [n for _i, n in failed],
            marker="X",
            s=90,
            color=theme.FAILED,
            zorder=3,
            label=f"failed ({chart.total_failures})",
        )
    ax.set_ylabel("stories posted", color=theme.MUTED)
    ax.set_ylim(0, max(1, *_heights(chart)) * 1.25)  # room above the tallest bar for the legend
    queue = ax.twinx()
    queue.plot(range(len(chart.queue)), chart.queue, color=theme.QUEUE, linewidth=2, marker="o", markersize=3)
    queue.lines[0].set_label("queue depth (right)")
    style(queue)
    queue.grid(False)
    queue.spines["right"].set_visible(True)
    queue.set_ylim(0, max(1, *chart.queue) * 1.25)
    queue.set_ylabel("waiting to post", color=theme.MUTED)
    ticks = list(range(0, len(chart.starts), 3))
    ax.set_xticks(ticks, [datetime.fromtimestamp(chart.starts[i], tz).strftime("%H:00") for i in ticks])
    ax.set_xlim(-0.6, len(chart.starts) - 0.4)
    ax.set_xlabel(f"hour ({datetime.fromtimestamp(chart.now, tz).tzname()})", color=theme.MUTED)
    legend(ax, queue)
    return figure


def _heights(chart: HourlyChart) -> list[int]:
    stacked = [sum(column) for column in zip(*chart.posts.values(), strict=True)] if chart.posts else [0]
    return [*stacked, *chart.failures]


def status_png(chart: HourlyChart, names: Mapping[int, str], tz: tzinfo = UTC) -> bytes:
    return to_png(status_figure(chart, names, tz))
