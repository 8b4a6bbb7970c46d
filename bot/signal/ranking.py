"""The "discussed" score: what the community's counts say about a story, decayed with its age. Pure.

    engagement = 1 × reactions + 2 × replies + 3 × shares         (summed over the story's channels)
    discussed  = engagement / (1 + age_hours / 12) ** 1.5

A reply costs more than a reaction and says more; a Share click takes the story to someone new. The age runs
from the story's ``publishedDateTime`` (or when it was first indexed, if undated). With τ = 12 hours and
gravity 1.5 a story keeps 1/1.5 of its weight after 4 hours, 1/5.2 after a day and 1/58 after a week: this
morning's story with some discussion beats last week's unless last week's had about 37 times more. Equal
scores (zero engagement included) put the newest story first, then the higher story id.

``relevant`` blends three parts, each in 0..1: the word match of a query (1 for the best match, falling
linearly with its place), quality/heat (the digest's ``0.6 × quality + 0.4 × heat``, over 100) and the
discussed score squashed as ``d / (d + 5)`` (5: about five reactions on a story posted this hour is half the
way to the top). With a query the weights are 0.5, 0.25 and 0.25; without one, 0.5 quality/heat and 0.5
discussed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.digest.ranking import DigestCandidate
from bot.digest.ranking import score as quality_heat
from bot.search.sorting import Candidate, Sort

REACTION_WEIGHT, REPLY_WEIGHT, SHARE_WEIGHT = 1.0, 2.0, 3.0
TAU_HOURS = 12.0
GRAVITY = 1.5
# Relevant: the weights of word match, quality/heat and discussed (the first dropped without a query).
TEXT_WEIGHT, QUALITY_WEIGHT, DISCUSSED_WEIGHT = 0.5, 0.25, 0.25
DISCUSSED_HALF = 5.0


@dataclass(frozen=True, slots=True)
class Engagement:
    """A story's counts, summed over its channels (or in one channel)."""

    reactions: int = 0
    replies: int = 0
    shares: int = 0

    @property
    def weighted(self) -> float:
        """The undecayed engagement (negative counts, which a missed event could leave, count as 0)."""
        return (
            REACTION_WEIGHT * max(0, self.reactions)
            + REPLY_WEIGHT * max(0, self.replies)
            + SHARE_WEIGHT * max(0, self.shares)
        )

    def __add__(self, other: Engagement) -> Engagement:
        return Engagement(self.reactions + other.reactions, self.replies + other.replies, self.shares + other.shares)


NONE = Engagement()


def decay(age_hours: float) -> float:
    """The share of its engagement a story keeps at ``age_hours`` (1 at posting; a future date counts as 0 h)."""
    return float((1.0 + max(0.0, age_hours) / TAU_HOURS) ** -GRAVITY)


def discussed(engagement: Engagement, age_hours: float) -> float:
    return engagement.weighted * decay(age_hours)


def age_hours(published_at: float | None, first_seen: float, now: float) -> float:
    return (now - (published_at if published_at is not None else first_seen)) / 3600.0


def relevant(text: float | None, quality: int | None, heat: int | None, discussed_score: float) -> float:
    squashed = discussed_score / (discussed_score + DISCUSSED_HALF)
    blend = QUALITY_WEIGHT * quality_heat(quality, heat) / 100.0 + DISCUSSED_WEIGHT * squashed
    if text is None:
        return blend / (QUALITY_WEIGHT + DISCUSSED_WEIGHT)
    return TEXT_WEIGHT * text + blend


def rank(sort: Sort, candidates: Iterable[Candidate], counts: Mapping[int, Engagement], now: float) -> list[int]:
    """The ids in ``sort`` order (discussed or relevant; latest is the search's own), newest first on ties."""

    def key(c: Candidate) -> tuple[float, float, int]:
        score = discussed(counts.get(c.id, NONE), age_hours(c.published_at, c.first_seen, now))
        if sort is Sort.RELEVANT:
            score = relevant(c.text, c.quality, c.heat, score)
        newest = c.published_at if c.published_at is not None else c.first_seen
        return (-score, -newest, -c.id)

    return [c.id for c in sorted(candidates, key=key)]


def rank_digest(
    candidates: Iterable[DigestCandidate], counts: Mapping[int, Engagement], now: float
) -> list[DigestCandidate]:
    """A ``rank: discussed`` digest: by discussed score; equal scores in the default digest order (quality and
    heat, newest, story id), so a quiet day reads like a default digest."""

    def key(c: DigestCandidate) -> tuple[float, float, float, int]:
        score = discussed(counts.get(c.story_id, NONE), age_hours(c.published_at, c.first_seen, now))
        return (-score, -c.score, -c.newest, -c.story_id)

    return sorted(candidates, key=key)


class SignalRanker:
    """The search's ``Ranker``: it reads the counts through the store's functions it is given (no SQL here)."""

    def __init__(
        self,
        totals: Callable[[Sequence[int]], Mapping[int, Engagement]],
        engaged: Callable[[], Sequence[int]],
    ) -> None:
        self._totals = totals
        self._engaged = engaged

    def engaged(self) -> Sequence[int]:
        return self._engaged()

    def order(
        self, sort: Sort, candidates: Sequence[Candidate], now: float
    ) -> tuple[list[int], Mapping[int, Engagement]]:
        counts = self._totals([c.id for c in candidates])
        return rank(sort, candidates, counts, now), counts
