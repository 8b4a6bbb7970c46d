"""The charts drawn: valid PNGs of the promised size, an empty database that says so in words, the numbers'
summary line, labels safe for matplotlib's text engine, and a server's chart that holds only its channels."""

from __future__ import annotations

import struct
from typing import Any

from bot.charts.build import guild_channels, status_chart, weekly_chart
from bot.charts.data import Discussed, HourlyChart, WeeklyReport
from bot.charts.draw import series, status_figure
from bot.charts.summary import status_summary, weekly_summary
from bot.charts.theme import plain
from bot.charts.weekly import weekly_figure
from bot.store import Store
from tests.unit.test_chart_data import NOW, A, B, known_ledger

STARTS = [NOW - 1800 - (23 - i) * 3600 for i in range(24)]
DAYS = [NOW - 8.5 * 3600 - (6 - i) * 86400 for i in range(7)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG signature"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def texts(figure: Any) -> list[str]:
    """Every string drawn on the figure (titles, labels, tick labels, legends, free text)."""
    return [t.get_text() for t in figure.findobj(lambda artist: hasattr(artist, "get_text"))]


def test_an_empty_database_draws_a_chart_that_says_no_posts_yet(sqlite_store: Store) -> None:
    chart = sqlite_store.chart_data.hourly(NOW)
    figure = status_figure(chart, {})
    assert "No posts yet" in texts(figure)
    assert not figure.axes, "words, not an empty axis"
    week = weekly_figure(sqlite_store.chart_data.weekly(NOW), {})
    assert "No posts yet" in texts(week) and not week.axes
    made = status_chart(sqlite_store, now=NOW)
    assert png_size(made.png) == (1200, 600) and made.summary == "No posts yet."


def test_the_status_chart_is_a_png_of_1200_by_600_under_200_kb_naming_its_channels(store: Store) -> None:
    known_ledger(store)
    made = status_chart(store, names={A: "world"}, now=NOW)
    assert png_size(made.png) == (1200, 600) and len(made.png) < 200_000
    assert made.summary == "Last 24 h: 3 posted in 2 channels, 1 failed, 1 waiting now (peak 2)."
    drawn = texts(status_figure(store.chart_data.hourly(NOW), {A: "world"}))
    assert "#world" in drawn and str(B) in drawn and "failed (1)" in drawn and "queue depth (right)" in drawn
    assert made.summary in drawn
    assert "No posts yet" not in drawn


def test_a_servers_chart_draws_only_its_channels(store: Store) -> None:
    known_ledger(store)
    mine = guild_channels(7, {A: 7, B: 8}, {})
    assert mine == {A}
    assert guild_channels(8, {A: 7}, {B: 8, A: 8}) == {A, B}, "the gateway's cache wins over a stale lookup"
    drawn = texts(status_figure(store.chart_data.hourly(NOW, mine), {A: "world", B: "secret"}))
    assert "#world" in drawn and "#secret" not in drawn and str(B) not in drawn


def test_a_busy_deployment_shows_eight_series_at_most_the_rest_as_other() -> None:
    posts = {channel: [1] * 24 for channel in range(1, 13)}
    found = series(posts, {})
    assert len(found) == 8 and found[-1][0] == "other (5 channels)" and found[-1][1] == [5] * 24
    assert [label for label, _ in found[:7]] == [str(c) for c in range(1, 8)]


def test_text_is_cut_escaped_and_stripped_of_glyphs_the_font_lacks() -> None:
    assert plain("Costs $5 🚀 now") == r"Costs \$5 ? now"
    assert plain("x" * 100, 10) == "x" * 9 + "…"
    assert plain("Ünïcödé Ελληνικά") == "Ünïcödé Ελληνικά"


def test_the_weekly_report_draws_days_topics_and_the_most_discussed(store: Store) -> None:
    report = WeeklyReport(
        DAYS,
        NOW,
        {A: [1, 0, 2, 0, 0, 3, 1], B: [0, 0, 0, 0, 1, 0, 0]},
        [("AI", 5), ("Chips", 2)],
        [Discussed(1, "Chips are back " + "and more " * 10, 4, 6), Discussed(2, "Rates", 1, 0)],
        True,
    )
    drawn = texts(weekly_figure(report, {A: "world"}))
    assert {"AI", "Chips", "Rates", "#world", "Top topics"} <= set(drawn)
    assert any(t.startswith("Chips are back") and t.endswith("…") for t in drawn), "a long title is cut"
    summary = weekly_summary(report, {A: "world"})
    assert summary.startswith(
        "This week: 8 posts in 2 channels; busiest #world; top topics AI (5), Chips (2); most discussed "
        "'Chips are back and more"
    )
    assert summary.endswith("and more…' (4 reactions, 6 replies).")
    assert len(summary.split("'")[1]) <= 80, "the title cut to 80 characters at most"
    quiet = WeeklyReport(DAYS, NOW, {}, [], [], True)
    assert "No posts this week" in texts(weekly_figure(quiet, {}))
    made = weekly_chart(store, now=NOW)
    assert png_size(made.png) == (1200, 600) and made.summary == "No posts yet."


def test_the_summary_line_counts_what_the_chart_plots() -> None:
    chart = HourlyChart(STARTS, NOW, {A: [1] * 24}, [0] * 23 + [2], [0] * 22 + [4, 3], True)
    assert status_summary(chart) == "Last 24 h: 24 posted in 1 channel, 2 failed, 3 waiting now (peak 4)."
    quiet = HourlyChart(STARTS, NOW, {}, [0] * 24, [0] * 24, True)
    assert status_summary(quiet) == "Last 24 h: 0 posted in 0 channels, 0 failed, 0 waiting now (peak 0)."
    assert "Nothing posted, failed or waiting in 24 hours" in texts(status_figure(quiet, {}))
