"""store.signal_reads on both backends: counts per story and per channel, the engaged stories, and the most
discussed per channel since a time, each in one statement."""

from __future__ import annotations

import time
from typing import Any

from bot.routes.planning import make_planner
from bot.signal.ranking import Engagement
from bot.store import Store
from tests.signals import put_counts
from tests.storyfiles import parsed_file

A, B, C = 111, 222, 333


def add_stories(store: Store, *numbers: int) -> dict[int, int]:
    """Story number -> story id."""
    store.apply(
        [parsed_file(f"{n}.md", n) for n in numbers], make_planner(lambda s: [], announce=False, on_unpublish="delete")
    )
    found = {n: sid for sid, story in store.latest_published(None) for n in numbers if story.title.endswith(f" {n}")}
    assert len(found) == len(numbers)
    return found


def test_counts_sum_over_channels_and_stay_per_channel(store: Store, statements: list[Any]) -> None:
    ids = add_stories(store, 1, 2, 3)
    put_counts(store.engine, ids[1], A, reactions=3, replies=1)
    put_counts(store.engine, ids[1], B, reactions=2, shares=4)
    put_counts(store.engine, ids[2], A, replies=5)
    statements.clear()
    totals = store.signal_reads.totals([ids[1], ids[2], ids[3]])
    assert len([s for s in statements if "signal_counts" in s]) == 1, "one statement for the whole set"
    assert totals == {ids[1]: Engagement(5, 1, 4), ids[2]: Engagement(0, 5, 0)}
    assert store.signal_reads.per_channel([ids[1], ids[3]]) == {
        ids[1]: {A: Engagement(3, 1, 0), B: Engagement(2, 0, 4)}
    }
    assert store.signal_reads.totals([]) == {}


def test_engaged_lists_stories_with_any_count_above_zero(store: Store) -> None:
    ids = add_stories(store, 1, 2, 3)
    put_counts(store.engine, ids[1], A, reactions=1)
    put_counts(store.engine, ids[2], A)  # a row whose reactions were all removed again
    put_counts(store.engine, ids[3], B, shares=1)
    put_counts(store.engine, ids[3], A, replies=1)
    assert sorted(store.signal_reads.engaged()) == sorted([ids[1], ids[3]])


def test_most_discussed_per_channel_since_a_time_in_one_statement(store: Store, statements: list[Any]) -> None:
    ids = add_stories(store, 1, 2, 3, 4)
    now = time.time()
    put_counts(store.engine, ids[1], A, reactions=10, at=now)
    put_counts(store.engine, ids[2], A, replies=6, at=now)  # 12 weighted: first
    put_counts(store.engine, ids[3], A, reactions=1, at=now)
    put_counts(store.engine, ids[4], A, reactions=50, at=now - 8 * 86400)  # no activity this week
    put_counts(store.engine, ids[1], B, shares=1, at=now)
    put_counts(store.engine, ids[2], C, reactions=99, at=now)  # another server's channel: not asked for
    put_counts(store.engine, ids[3], B, at=now)  # nothing
    statements.clear()
    found = store.signal_reads.most_discussed([A, B], now - 7 * 86400, per_channel=2)
    assert len(statements) == 1
    assert [(d.channel_id, d.story_id) for d in found] == [(A, ids[2]), (A, ids[1]), (B, ids[1])]
    assert found[0].title == "Story number 2" and found[0].engagement == Engagement(0, 6, 0)
    assert found[0].web_url.startswith("https://")
    assert store.signal_reads.most_discussed([], now, per_channel=5) == []
    assert store.signal_reads.most_discussed([A], now + 1, per_channel=5) == []
