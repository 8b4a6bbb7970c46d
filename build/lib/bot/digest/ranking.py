"""Which stories lead a digest.

The score is ``0.6 × quality + 0.4 × heat``, each clamped to 0-100 first (a missing value, or heat's
"unknown" -1, counts as 0). Quality weighs more because an editor judged it; heat says how much the story
is being talked about right now. Equal scores put the newest story first (``publishedDateTime``, or when
the story was first indexed if it has none), then the one indexed last (the higher story id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

QUALITY_WEIGHT = 0.6
HEAT_WEIGHT = 0.4


@dataclass(frozen=True, slots=True)
class DigestCandidate:
    """The few columns ranking needs, so a large window is ranked without loading every story's JSON."""

    story_id: int
    quality: int | None
    heat: int | None
    published_at: float | None  # epoch seconds
    first_seen: float

    @property
    def score(self) -> float:
        return score(self.quality, self.heat)

    @property
    def newest(self) -> float:
        return self.published_at if self.published_at is not None else self.first_seen


def score(quality: int | None, heat: int | None) -> float:
    return QUALITY_WEIGHT * _clamp(quality) + HEAT_WEIGHT * _clamp(heat)


def rank(candidates: Iterable[DigestCandidate]) -> list[DigestCandidate]:
    """Best first; the story id breaks the last ties so the order never depends on the query plan."""
    return sorted(candidates, key=lambda c: (-c.score, -c.newest, -c.story_id))


def _clamp(value: int | None) -> float:
    return float(min(100, max(0, value or 0)))
