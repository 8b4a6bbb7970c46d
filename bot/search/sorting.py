"""How /news orders its results (``Sort``), and what the search hands an outside ranker (``Candidate``).

The discussed and relevant orders need the community's counts, which the search engine does not read: it hands
its candidates to a ``Ranker`` (``bot.signal.ranking.SignalRanker``, given to ``SearchService`` by its owner)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection

from bot.search.backend import search_backend_of
from bot.search.filters import StoryFilter, known_ids_terms, run

if TYPE_CHECKING:
    from bot.signal.ranking import Engagement

# Without a query, the discussed and relevant orders rank the newest matches plus every story with counts.
RANK_WINDOW = 500


class Sort(StrEnum):
    LATEST = "latest"  # newest first; a query's best word matches first (as before sorting existed)
    DISCUSSED = "discussed"  # the time-decayed discussed score
    RELEVANT = "relevant"  # word match, quality/heat and discussed score blended


@dataclass(frozen=True, slots=True)
class Candidate:
    """The few columns the discussed and relevant orders need, so a window is ranked without loading stories."""

    id: int
    published_at: float | None
    first_seen: float
    quality: int | None
    heat: int | None
    text: float | None = None  # word-match relevance in 0..1 (1: the best match); None without a query


class Ranker(Protocol):
    def engaged(self) -> Sequence[int]:
        """Every story with counts (bounded: counts are kept ``signals.keep_days``)."""
        ...

    def order(self, sort: Sort, candidates: Sequence[Candidate], now: float) -> tuple[list[int], Mapping[int, Any]]:
        """The candidates' ids in ``sort`` order, and the counts of those that have any."""
        ...


def candidates(conn: Connection, flt: StoryFilter, ids: Sequence[int]) -> dict[int, Candidate]:
    """Those of ``ids`` that match ``flt`` (its full text aside: the ids come from it or from the ranker)."""
    if not ids:
        return {}
    b = search_backend_of(conn)
    params: dict[str, Any] = {}
    where = known_ids_terms(b, params, ids, flt)
    sql = f"SELECT s.id, s.published_at, s.first_seen, s.quality, s.heat FROM stories AS s WHERE {' AND '.join(where)}"
    return {row[0]: Candidate(row[0], row[1], row[2], row[3], row[4]) for row in run(conn, sql, params)}


def text_relevance(place: int, count: int) -> float:
    """A query's word match as 0..1 from its place (0: the best) among ``count`` matches: the backends score
    differently, so only the order they rank in is used."""
    return 1.0 - place / count if count else 0.0


def counts_of(found: Mapping[int, Any], ids: Sequence[int]) -> dict[int, Engagement]:
    """The counts shown on a page: those of its stories that have any."""
    return {i: found[i] for i in ids if i in found}
