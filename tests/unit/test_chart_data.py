"""The charts' numbers from a known ledger (``store.chart_data``), on both backends: posts per hour and per day,
failures, the send queue's depth derived from the ledger, the week's topics and most discussed stories, and the
walls between servers (a channel list in, nothing of other channels out)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.routes.planning import make_planner
from bot.send.queue import ChannelQueue
from bot.store import DeliveryState, Store
from bot.store.schema import deliveries
from bot.store.signal_tables import signal_counts
from tests.storyfiles import parsed_file
from tests.unit.test_pipeline import RecordingSink

A, B = 111, 222
HOUR_START = 1_800_000_000.0  # 2027-01-15 08:00 UTC, an hour's start
NOW = HOUR_START + 1800  # 08:30
H = 3600.0


def stories(store: Store, *numbers: int, **overrides: Any) -> None:
    """Stories in the index with no ledger rows: each test writes the rows it means."""
    planner = make_planner(lambda s: [], announce=True, on_unpublish="delete")
    store.apply([parsed_file(f"s{n}.md", n, **overrides) for n in numbers], planner)


def row(store: Store, story_id: int, channel_id: int, state: DeliveryState, **values: float | None) -> None:
    values.setdefault("updated_at", values.get("sent_at") or values.get("planned_at") or NOW)
    with store.engine.begin() as conn:
        conn.execute(insert(deliveries).values(story_id=story_id, channel_id=channel_id, state=state, **values))


def known_ledger(store: Store) -> None:
    stories(store, 1, 2, 3, 4, 5)  # ids follow the order of creation
    stories(store, 6, publishedDateTime="2027-01-20T00:00:00Z")  # embargoed: waits for its date, not in the queue
    stories(store, 7)
    row(store, 1, A, DeliveryState.SENT, planned_at=NOW - 6 * H, sent_at=NOW - 5 * H)  # waited 08:00 hour's end
    row(store, 2, A, DeliveryState.SENT, planned_at=NOW - 5 * H, sent_at=NOW - 5 * H + 60)
    row(store, 3, B, DeliveryState.SENT, planned_at=NOW - 31 * 60, sent_at=NOW - 30 * 60)
    row(store, 4, B, DeliveryState.FAILED, planned_at=NOW - 4 * H, updated_at=NOW - 2 * H)
    row(store, 5, A, DeliveryState.POST, planned_at=NOW - 3 * H)  # still waiting
    row(store, 6, A, DeliveryState.POST, planned_at=NOW - 10 * H)  # held until 2027-01-20
    row(store, 7, A, DeliveryState.SENT, planned_at=NOW - 31 * H, sent_at=NOW - 30 * H)  # before the window
    row(store, 7, B, DeliveryState.CAPPED, updated_at=NOW - H)  # never planned: never in the queue


def at(index: int, value: int) -> list[int]:
    counts = [0] * 24
    counts[index] = value
    return counts


def test_the_last_24_hours_count_posts_per_channel_failures_and_the_queue_at_each_hours_end(store: Store) -> None:
    known_ledger(store)
    chart = store.chart_data.hourly(NOW)
    assert chart.starts[0] == HOUR_START - 23 * H and chart.starts[-1] == HOUR_START
    assert chart.posts == {A: at(18, 2), B: at(23, 1)}, "A is the busier channel: listed first"
    assert list(chart.posts) == [A, B]
    assert chart.failures == at(21, 1)
    # Story 1 waited at 04:00 (i=17); story 4 from 04:30 until it failed at 06:30; story 5 from 05:30 on.
    assert chart.queue == [0] * 17 + [1, 0, 1, 2, 1, 1, 1]
    assert chart.ever_posted and not chart.empty
    assert (chart.total_posts, chart.total_failures) == (3, 1)


def test_one_servers_chart_holds_only_its_channels(store: Store) -> None:
    known_ledger(store)
    chart = store.chart_data.hourly(NOW, channels=[B])
    assert chart.posts == {B: at(23, 1)}
    assert chart.failures == at(21, 1)
    assert chart.queue == [0] * 19 + [1, 1, 0, 0, 0]
    nothing = store.chart_data.hourly(NOW, channels=[])
    assert nothing.posts == {} and not any(nothing.failures) and not any(nothing.queue)
    assert not nothing.ever_posted and nothing.empty
    assert not store.chart_data.weekly(NOW, channels=[999]).ever_posted


def test_an_empty_database_has_nothing_to_plot_and_never_posted(store: Store) -> None:
    chart = store.chart_data.hourly(NOW)
    assert chart.empty and not chart.ever_posted and len(chart.queue) == 24
    week = store.chart_data.weekly(NOW)
    assert week.total_posts == 0 and week.topics == [] and week.discussed == [] and not week.ever_posted


def test_a_repost_waits_again_although_its_row_still_holds_the_first_posts_time(store: Store) -> None:
    stories(store, 1)
    row(store, 1, A, DeliveryState.POST, planned_at=NOW - 2 * H, sent_at=NOW - 20 * H)
    chart = store.chart_data.hourly(NOW)
    assert chart.queue[-3:] == [1, 1, 1] and chart.queue[:21] == [0] * 21
    assert chart.posts == {A: at(3, 1)}, "the first post still counts in its hour"


def test_the_week_counts_posts_per_day_topics_and_the_most_discussed_stories(store: Store) -> None:
    stories(store, 1, 2, 3, topics=["AI", "Chips"])
    stories(store, 4, topics=["Space"])
    stories(store, 5, topics=["AI"])
    row(store, 1, A, DeliveryState.SENT, planned_at=NOW - 60, sent_at=NOW - 30)  # today (Friday 15th)
    row(store, 2, A, DeliveryState.SENT, planned_at=NOW - 25 * H, sent_at=NOW - 24 * H)  # the 14th
    row(store, 2, B, DeliveryState.SENT, planned_at=NOW - 25 * H, sent_at=NOW - 24 * H)
    row(store, 3, B, DeliveryState.SENT, planned_at=NOW - 6 * 24 * H, sent_at=NOW - 6 * 24 * H)  # the 9th
    row(store, 4, B, DeliveryState.SENT, planned_at=NOW - 2 * H, sent_at=NOW - H)
    row(store, 5, A, DeliveryState.SENT, planned_at=NOW - 9 * 24 * H, sent_at=NOW - 9 * 24 * H)  # last week
    with store.engine.begin() as conn:
        conn.execute(
            insert(signal_counts),
            [
                {"story_id": 2, "channel_id": A, "reactions": 3, "replies": 1, "updated_at": NOW},
                {"story_id": 2, "channel_id": B, "reactions": 2, "replies": 0, "updated_at": NOW},
                {"story_id": 4, "channel_id": B, "reactions": 1, "replies": 7, "updated_at": NOW},
                {"story_id": 1, "channel_id": A, "reactions": 0, "replies": 0, "updated_at": NOW},
                {"story_id": 5, "channel_id": A, "reactions": 50, "replies": 50, "updated_at": NOW},  # last week's
            ],
        )
    week = store.chart_data.weekly(NOW)
    assert len(week.starts) == 7 and week.starts[-1] == HOUR_START - 8 * H  # midnight UTC today
    assert week.posts == {B: [1, 0, 0, 0, 0, 1, 1], A: [0, 0, 0, 0, 0, 1, 1]}
    assert week.topics == [("AI", 3), ("Chips", 3), ("Space", 1)]
    assert [(s.title, s.reactions, s.replies) for s in week.discussed] == [
        ("Story number 4", 1, 7),
        ("Story number 2", 5, 1),
    ], "summed over channels, no story without a reaction or reply, nothing posted before the week"
    # One server's channels: its posts, topics and signal only.
    mine = store.chart_data.weekly(NOW, channels=[A])
    assert mine.posts == {A: [0, 0, 0, 0, 0, 1, 1]}
    assert mine.topics == [("AI", 2), ("Chips", 2)]
    assert [(s.title, s.reactions, s.replies) for s in mine.discussed] == [("Story number 2", 3, 1)]


def test_the_weeks_days_run_midnight_to_midnight_in_the_reports_time_zone(store: Store) -> None:
    stories(store, 1)
    row(store, 1, A, DeliveryState.SENT, planned_at=NOW - 13 * H, sent_at=NOW - 12 * H)  # 14th 20:30 UTC
    assert store.chart_data.weekly(NOW).posts == {A: [0, 0, 0, 0, 0, 1, 0]}
    tokyo = store.chart_data.weekly(NOW, tz=ZoneInfo("Asia/Tokyo"))  # the 15th, 05:30 there: today
    assert tokyo.posts == {A: [0, 0, 0, 0, 0, 0, 1]}
    assert tokyo.starts[-1] == HOUR_START - 17 * H  # midnight in Tokyo is 15:00 UTC the day before


async def test_the_send_queue_records_when_discord_confirmed_a_post(store: Store) -> None:
    planner = make_planner(lambda s: [A], announce=True, on_unpublish="delete")
    store.apply([parsed_file("s1.md", 1)], planner)
    queue = ChannelQueue(
        A, store=store, db=store.run, sink=RecordingSink(), roles_for=lambda c, s: [], clock=lambda: NOW
    )
    queue.start()
    queue.put(1)
    await queue.join()
    await queue.stop()
    assert store.chart_data.hourly(NOW + 60).posts == {A: at(23, 1)}
