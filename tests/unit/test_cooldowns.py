"""Per-member token buckets behind the /news cooldowns (issue 20.7), on an injected clock."""

from __future__ import annotations

import pytest

from bot.cooldowns import Cooldowns


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_member_waits_for_the_refill() -> None:
    clock = Clock()
    buckets = Cooldowns(burst=10, per_second=1, clock=clock)
    assert [buckets.take(1) for _ in range(10)] == [0.0] * 10
    assert buckets.take(1) == pytest.approx(1.0)
    clock.now += 0.25
    assert buckets.take(1) == pytest.approx(0.75)  # a refused try takes nothing
    clock.now += 0.75
    assert buckets.take(1) == 0.0
    assert buckets.take(1) == pytest.approx(1.0)


def test_paging_at_a_human_pace_never_waits() -> None:
    clock = Clock()
    buckets = Cooldowns(burst=10, per_second=1, clock=clock)
    for _ in range(500):  # one click every 1.2 s, for ten minutes
        assert buckets.take(7) == 0.0
        clock.now += 1.2


def test_members_have_their_own_buckets() -> None:
    clock = Clock()
    buckets = Cooldowns(burst=3, per_second=1, clock=clock)
    for _ in range(3):
        buckets.take(1)
    assert buckets.take(1) > 0
    assert buckets.take(2) == 0.0


def test_idle_members_are_forgotten_and_memory_is_capped() -> None:
    clock = Clock()
    buckets = Cooldowns(burst=4, per_second=2, clock=clock, max_members=50)
    for member in range(40):
        buckets.take(member)
    assert len(buckets) == 40
    clock.now += 2.0  # every bucket is full again: nothing to remember
    buckets.take(1000)
    assert len(buckets) == 1
    for member in range(200):
        buckets.take(member)
    assert len(buckets) == 50  # the longest idle dropped first
    for _ in range(3):
        buckets.take(199)
    assert buckets.take(199) > 0, "the most recent members are the ones kept"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        Cooldowns(burst=0, per_second=1)
    with pytest.raises(ValueError, match="per_second"):
        Cooldowns(burst=1, per_second=0)
