"""One search's statements on one connection (``SearchQueries``, what ``Store.searching()`` hands out), and the
reads that are neither listing nor ranking: the stories of a page, and the counts behind autocomplete."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from bot.search import catalog
from bot.search.backend import search_backend_of
from bot.search.filters import StoryFilter, bind, live_terms, released_terms, run
from bot.search.listing import Plan, Seek, SortKey, count, page_rows, plan
from bot.search.ranking import ranked_ids
from bot.search.sorting import Candidate, candidates
from bot.search.sqlite_rank import DocFrequencies
from bot.search.windows import PinnedWindows, WindowCache, Windows
from bot.stories.story import Story


def load_published(conn: Connection, ids: Iterable[int], until: float | None = None) -> dict[int, Story]:
    """The stories with these ids that are still published (a page may be read just as one is withdrawn) and,
    with ``until``, released by then."""
    wanted = list(ids)
    if not wanted:
        return {}
    params: dict[str, Any] = {}
    # The hint stops SQLite from scanning ix_stories_listing for these few rows instead of fetching them by id.
    live = " AND ".join(live_terms(search_backend_of(conn), hinted=True) + released_terms(params, until))
    sql = f"SELECT s.id, s.data FROM stories AS s WHERE s.id IN ({bind(params, 'i', wanted)}) AND {live}"
    rows = run(conn, sql, params)
    return {row[0]: Story.from_dict(json.loads(row[1])) for row in rows}


def topic_counts(conn: Connection, until: float | None = None) -> list[tuple[str, str, int]]:
    """(norm, a spelling, published stories) for every topic of a published story (released by ``until``)."""
    # Walking ix_story_topics_norm in order needs no sort for GROUP BY; the published ids are probed as a list.
    # A spelling is then read once per topic rather than once per tag (which would visit every tag's row).
    b = search_backend_of(conn)
    params: dict[str, Any] = {}
    released = "".join(f" AND {term}" for term in released_terms(params, until))
    sql = (
        "SELECT c.norm, (SELECT topic FROM story_topics WHERE norm = c.norm LIMIT 1), c.n FROM ("
        f"SELECT norm, count(*) AS n FROM story_topics{b.indexed_by('ix_story_topics_norm')} "
        f"WHERE story_id IN (SELECT s.id FROM stories AS s WHERE s.present = {b.true} AND s.published = {b.true}"
        f"{released}) GROUP BY norm) AS c"
    )
    return [(row[0], row[1], row[2]) for row in run(conn, sql, params)]


def provider_counts(conn: Connection, until: float | None = None) -> list[tuple[str, int]]:
    """(provider name, published stories) for every provider of a published story (released by ``until``)."""
    # The hint keeps SQLite off ix_stories_listing, so it walks ix_stories_provider: covering, already grouped.
    b = search_backend_of(conn)
    params: dict[str, Any] = {}
    released = "".join(f"AND {term} " for term in released_terms(params, until))
    sql = (
        f"SELECT provider, count(*) FROM stories AS s WHERE {b.hint('present')} = {b.true} "
        f"AND {b.hint('published')} = {b.true} AND provider != '' {released}GROUP BY provider"
    )
    return [(row[0], row[1]) for row in run(conn, sql, params)]


class SearchQueries:
    """One search's statements (listing, ranking, the reads above) on one connection: what ``Store.searching()``
    hands out, so no connection leaves the store."""

    def __init__(self, conn: Connection, freq: DocFrequencies | None = None) -> None:
        self._conn = conn
        self._freq = freq
        self._pinned: PinnedWindows | None = None

    def _windows(self, cache: WindowCache | None) -> Windows | None:
        """``cache`` as this search sees it: the index version read once for all its windows."""
        if cache is None:
            return None
        if self._pinned is None or self._pinned.cache is not cache:
            self._pinned = PinnedWindows(cache)
        return self._pinned

    def plan(self, flt: StoryFilter) -> Plan:
        return plan(self._conn, flt)

    def count(self, p: Plan, cap: int) -> int:
        return count(self._conn, p, cap)

    def page_rows(self, p: Plan, limit: int, *, offset: int = 0, seek: Seek | None = None) -> list[SortKey]:
        return page_rows(self._conn, p, limit, offset=offset, seek=seek)

    def ranked_ids(
        self, flt: StoryFilter, window: int, *, prefix_words: Sequence[str] = (), cache: WindowCache | None = None
    ) -> tuple[list[int], int]:
        windows = self._windows(cache)
        return ranked_ids(self._conn, flt, window, prefix_words=prefix_words, freq=self._freq, cache=windows)

    def load_published(self, ids: Iterable[int], until: float | None = None) -> dict[int, Story]:
        return load_published(self._conn, ids, until)

    def candidates(self, flt: StoryFilter, ids: Sequence[int]) -> dict[int, Candidate]:
        return candidates(self._conn, flt, ids)

    def topic_counts(self, until: float | None = None) -> list[tuple[str, str, int]]:
        return topic_counts(self._conn, until)

    def provider_counts(self, until: float | None = None) -> list[tuple[str, int]]:
        return provider_counts(self._conn, until)

    def catalog_version(self, until: float | None = None) -> tuple[Any, ...]:
        return catalog.version(self._conn, until)

    def catalog_rows(self, until: float | None = None) -> catalog.CatalogRows:
        return catalog.read(self._conn, until)
