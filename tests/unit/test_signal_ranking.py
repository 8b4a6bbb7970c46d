"""The discussed score and the relevant blend (bot/signal/ranking.py): the properties the README promises."""

from __future__ import annotations

import pytest

from bot.digest.ranking import DigestCandidate
from bot.search.sorting import Candidate, Sort
from bot.signal.ranking import (
    NONE,
    Engagement,
    decay,
    discussed,
    rank,
    rank_digest,
    relevant,
)

NOW = 1_800_000_000.0
HOUR = 3600.0


def candidate(story_id: int, hours_old: float) -> Candidate:
    return Candidate(story_id, NOW - hours_old * HOUR, NOW - hours_old * HOUR, None, None)


def test_engagement_weighs_replies_twice_and_shares_three_times_a_reaction() -> None:
    assert Engagement(reactions=5, replies=2, shares=1).weighted == 5 + 4 + 3
    assert Engagement(reactions=-3, replies=1).weighted == 2, "a negative count (missed add) counts as 0"


@pytest.mark.parametrize("field", ["reactions", "replies", "shares"])
def test_the_score_grows_with_each_count(field: str) -> None:
    scores = [discussed(Engagement(**{field: n}), 5.0) for n in range(5)]
    assert scores == sorted(scores) and len(set(scores)) == 5


def test_the_score_decays_with_age_and_a_future_date_counts_as_now() -> None:
    ages = [0, 1, 4, 12, 24, 72, 168, 720]
    scores = [discussed(Engagement(reactions=10), a) for a in ages]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(ages)
    assert decay(0) == 1.0 and decay(-5) == 1.0
    assert decay(12) == pytest.approx(2**-1.5), "tau 12 h, gravity 1.5"


def test_this_mornings_story_with_some_discussion_beats_last_weeks_with_more() -> None:
    morning = candidate(1, 4)
    last_week = candidate(2, 7 * 24)
    counts = {1: Engagement(reactions=6, replies=2), 2: Engagement(reactions=20, replies=6)}
    assert rank(Sort.DISCUSSED, [last_week, morning], counts, NOW) == [1, 2]
    # ...but not at any price: a week-old story with about 40x the engagement still leads.
    counts[2] = Engagement(reactions=400)
    assert rank(Sort.DISCUSSED, [last_week, morning], counts, NOW) == [2, 1]


def test_without_engagement_the_newest_story_comes_first_and_ids_break_ties() -> None:
    found = [candidate(1, 30), candidate(2, 3), candidate(3, 10), candidate(4, 3)]
    assert rank(Sort.DISCUSSED, found, {}, NOW) == [4, 2, 3, 1]
    # Any engagement at all beats none, however old.
    assert rank(Sort.DISCUSSED, found, {1: Engagement(reactions=1)}, NOW)[0] == 1


def test_relevant_blends_word_match_quality_and_discussion() -> None:
    # With a query: the word match weighs most, then quality/heat and discussion.
    assert relevant(1.0, 0, 0, 0.0) == pytest.approx(0.5)
    assert relevant(0.0, 100, 100, 0.0) == pytest.approx(0.25)
    assert relevant(0.0, 0, 0, 5.0) == pytest.approx(0.125), "a discussed score of 5 is half the way"
    # Without a query the other two share it.
    assert relevant(None, 100, 100, 0.0) == pytest.approx(0.5)
    assert relevant(None, 0, 0, 1e9) == pytest.approx(0.5, rel=1e-6)
    for args in [(0.5, 50, 5, 1.0), (None, 50, 5, 1.0)]:
        text, quality, heat, score = args
        assert relevant(text, quality + 10, heat, score) > relevant(text, quality, heat, score)
        assert relevant(text, quality, heat, score + 1) > relevant(text, quality, heat, score)


def test_relevant_order_puts_a_better_match_first_unless_the_other_is_much_better_otherwise() -> None:
    best = Candidate(1, NOW - HOUR, NOW - HOUR, 50, 5, text=1.0)
    second = Candidate(2, NOW - HOUR, NOW - HOUR, 50, 5, text=0.5)
    assert rank(Sort.RELEVANT, [second, best], {}, NOW) == [1, 2]
    loved = Candidate(2, NOW - HOUR, NOW - HOUR, 100, 100, text=0.5)
    assert rank(Sort.RELEVANT, [loved, best], {2: Engagement(reactions=50, replies=20)}, NOW) == [2, 1]


def test_a_discussed_digest_orders_by_discussion_then_as_a_default_digest() -> None:
    def c(story_id: int, quality: int, hours_old: float) -> DigestCandidate:
        return DigestCandidate(story_id, quality, 0, NOW - hours_old * HOUR, NOW - hours_old * HOUR)

    found = [c(1, 90, 2), c(2, 10, 2), c(3, 50, 1)]
    assert [x.story_id for x in rank_digest(found, {2: Engagement(replies=3)}, NOW)] == [2, 1, 3]
    assert [x.story_id for x in rank_digest(found, {}, NOW)] == [1, 3, 2], "quiet: by quality like a default one"
    assert NONE.weighted == 0
