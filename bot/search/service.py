"""Searching the archive of published stories: the core of ``/news``, free of Discord.

``SearchService`` answers searches, autocomplete and "did you mean" hints; its SQL is in the modules beside it,
run on the connection ``Store.searching()`` hands out.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

# The windows through the module: tests shrink them to force each plan on a small database.
from bot.search import words
from bot.search.entries import CHOICES, Catalog, Entry, match_tier, normalise, rank_entries
from bot.search.filters import StoryFilter
from bot.search.listing import Plan, Seek, SortKey
from bot.search.queries import SearchQueries
from bot.search.sorting import RANK_WINDOW, Ranker, Sort, counts_of, text_relevance
from bot.search.windows import WindowCache
from bot.search.words import fts_match, query_words
from bot.stories.story import Story

if TYPE_CHECKING:
    from bot.signal.ranking import Engagement
    from bot.store import Store

log = logging.getLogger(__name__)

PER_PAGE = 10
# Counting stops this many results past the current page; beyond it the count shows as "N+".
COUNT_AHEAD = 1000
MAX_DAYS = 3650
# Free text that is not a known topic or provider also searches the ones it starts a word of, up to this many.
MAX_RELATED = 20


@dataclass(frozen=True, slots=True)
class SearchRequest:
    topic: str | None = None
    query: str | None = None
    provider: str | None = None
    days: int | None = None
    page: int = 1
    limit: int = PER_PAGE
    # How to reach ``page`` without an OFFSET scan: from a neighbouring page's edge, or back from the end.
    seek: Seek | None = None
    sort: Sort = Sort.LATEST


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    story: Story


@dataclass(frozen=True, slots=True)
class SearchPage:
    request: SearchRequest
    hits: tuple[Hit, ...]
    total: int
    capped: bool  # counting stopped early: at least ``total`` stories match and more pages can be reached
    window: int  # when not 0, the query matched so many stories that only this many of the newest were ranked
    page: int
    pages: int
    suggestions: tuple[str, ...] = ()  # closest topics, when nothing was found
    # Sort keys of the page's first and last rows (newest-first listings only): where its neighbours start.
    first_key: SortKey | None = None
    last_key: SortKey | None = None
    # The community's counts of the page's stories that have any (the discussed and relevant orders only).
    counts: Mapping[int, Engagement] = field(default_factory=dict)

    @property
    def stories(self) -> list[Story]:
        return [hit.story for hit in self.hits]


# -- paging maths: pure functions ----------------------------------------------------------------------------


def page_count(total: int, per_page: int) -> int:
    """Pages needed for ``total`` results; an empty result still has one (empty) page."""
    return max(1, -(-total // per_page))


def clamp_page(page: int, pages: int) -> int:
    return min(max(1, page), max(1, pages))


def page_offset(page: int, per_page: int) -> int:
    return (max(1, page) - 1) * per_page


def count_cap(page: int, per_page: int) -> int:
    """How far to count for ``page``: far enough to show the page counter, never the whole archive."""
    return page_offset(page, per_page) + COUNT_AHEAD


def page_request(page: SearchPage, target: int) -> SearchRequest:
    """The request for page ``target`` seen from ``page`` (the /news buttons): the next and previous pages seek
    from this page's edge rows, the last page (when the count is exact) back from the end, the first from the
    start. Any other page goes by number. A relevance-ranked query ranks its whole (capped) set per page anyway.
    """
    if target == page.page:
        return page.request  # the same page again ("Back to results")
    request = replace(page.request, page=max(1, target), seek=None)
    if page.request.query or target <= 1 or page.request.sort is not Sort.LATEST:
        return request
    if target == page.page + 1 and page.last_key is not None:
        return replace(request, seek=Seek(page.last_key))
    if target == page.page - 1 and page.first_key is not None:
        return replace(request, seek=Seek(page.first_key, backward=True))
    if target == page.pages and not page.capped:
        return replace(request, seek=Seek(None, backward=True))
    return request


class SearchService:
    """Thread-safe: the bot calls it on the store's side threads (``Store.run_concurrent``), one connection a call."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        refresh_every: float = 5.0,
        embargo: bool = True,
        ranker: Ranker | None = None,
    ) -> None:
        self.store = store
        # The discussed and relevant orders; without it every search is in the latest order.
        self._ranker = ranker
        # ``articles.embargo``: a story dated in the future is not shown (nor counted) before its date.
        self._embargo = embargo
        self._clock = clock
        self._refresh_every = refresh_every
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        # The pages of one query are cut from one window of matches: read once while the index is unchanged.
        self._windows = WindowCache()

    def catalog(self) -> Catalog:
        """The current catalog, built on first use; later changes arrive through ``refresh``."""
        current = self._catalog
        if current is not None:
            return current
        with self._lock:
            if self._catalog is None:
                self._catalog = self._build()
            return self._catalog

    def refresh(self, *, force: bool = False) -> bool:
        """Read the catalog again if its counts changed since (and it is older than ``refresh_every``): the store
        keeps the counts up to date batch by batch, so this reads a few hundred rows, never the stories."""
        current = self._catalog
        if current is None and not force:
            return False  # nobody has asked yet; the first use builds it
        if current is not None and not force and time.monotonic() - current.built_at < self._refresh_every:
            return False
        with self.store.searching() as q:
            version = q.catalog_version(self._until())
        if current is not None and not force and version == current.version:
            return False
        with self._lock:
            self._catalog = self._build()
        return True

    def _build(self) -> Catalog:
        started = time.perf_counter()
        with self.store.searching() as q:
            until = self._until()
            version = q.catalog_version(until)
            rows = q.catalog_rows(until)
        topic_rows, provider_rows = rows.topics, rows.providers
        topics = sorted((Entry(name, norm, n) for norm, name, n in topic_rows), key=lambda e: (-e.count, e.norm))
        # Spellings that differ only in case are one provider, shown as its most used spelling.
        merged: dict[str, list[tuple[int, str]]] = {}
        for name, n in provider_rows:
            merged.setdefault(normalise(name), []).append((n, name))
        providers = sorted(
            (
                Entry(min(g, key=lambda x: (-x[0], x[1]))[1], norm, sum(n for n, _ in g), tuple(x[1] for x in g))
                for norm, g in merged.items()
            ),
            key=lambda e: (-e.count, e.norm),
        )
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("Search catalog: %d topics, %d providers in %.0f ms", len(topics), len(providers), elapsed)
        return Catalog(
            tuple(topics),
            tuple(providers),
            version,
            time.monotonic(),
            {e.norm: e for e in topics},
            {e.norm: e for e in providers},
        )

    def topic_suggestions(self, prefix: str, limit: int = CHOICES) -> list[tuple[str, int]]:
        return [(e.name, e.count) for e in rank_entries(self.catalog().topics, prefix, limit)]

    def provider_suggestions(self, prefix: str, limit: int = CHOICES) -> list[tuple[str, int]]:
        return [(e.name, e.count) for e in rank_entries(self.catalog().providers, prefix, limit)]

    def closest_topics(self, text: str, n: int = 3) -> list[str]:
        """Topics a member may have meant: ones that start a word with ``text``, then near spellings."""
        catalog, norm = self.catalog(), normalise(text)
        if not norm:
            return [e.name for e in catalog.topics[:n]]
        found = [e.norm for e in catalog.topics if match_tier(e.norm, norm) in (0, 1)]
        found += difflib.get_close_matches(norm, list(catalog.by_norm), n=n, cutoff=0.6)
        return [catalog.by_norm[k].name for k in dict.fromkeys(found)][:n]

    def search(self, request: SearchRequest) -> SearchPage:
        per_page = max(1, request.limit)
        total, capped, window, page, ids = 0, False, 0, 1, []
        keys: list[SortKey] = []
        found: dict[int, Story] = {}
        counts: Mapping[int, Engagement] = {}
        flt = self._filter(request)
        if flt is not None:
            with self.store.searching() as q:
                if request.sort is not Sort.LATEST and self._ranker is not None:
                    ordered, window, counts = self._sorted(q, flt, request, self._ranker)
                    total = len(ordered)
                    page = clamp_page(request.page, page_count(total, per_page))
                    ids = ordered[page_offset(page, per_page) :][:per_page]
                elif flt.match is not None:
                    ranked, window = self._ranked(q, flt, request.query or "")
                    total = len(ranked)
                    page = clamp_page(request.page, page_count(total, per_page))
                    ids = ranked[page_offset(page, per_page) :][:per_page]
                else:
                    plan = q.plan(flt)
                    known = self._known_total(flt)
                    cap = count_cap(request.page, per_page)
                    if known is None and self._more_than(flt, cap):
                        known, capped = cap, True  # the count would only stop at the cap
                    counted = q.count(plan, cap) if known is None else known
                    total, capped = (counted, capped) if known is not None else (min(counted, cap), counted > cap)
                    page = clamp_page(request.page, page_count(total, per_page))
                    keys = self._page_keys(q, plan, request, page, total, per_page) if total else []
                    ids = [key[1] for key in keys]
                found = q.load_published(ids, flt.until)
        hits = tuple(Hit(i, found[i]) for i in ids if i in found)
        hint = request.topic or request.query
        suggestions = tuple(self.closest_topics(hint)) if hint and not hits else ()
        edges = (keys[0], keys[-1]) if keys else (None, None)
        pages = page_count(total, per_page)
        shown = counts_of(counts, [hit.id for hit in hits])
        first_key, last_key = edges
        return SearchPage(
            request, hits, total, capped, window, page, pages, suggestions, first_key, last_key, counts=shown
        )

    def _sorted(
        self, q: SearchQueries, flt: StoryFilter, request: SearchRequest, ranker: Ranker
    ) -> tuple[list[int], int, Mapping[int, Engagement]]:
        """Every candidate in the discussed or relevant order, the window that cut them (or 0), and their counts.

        With a query the candidates are its word matches (within the query window); without one, the newest
        ``RANK_WINDOW`` matches and every match with counts, so no discussed story is missed."""
        if flt.match is not None:
            ranked, window = self._ranked(q, flt, request.query or "")
            found = q.candidates(flt, ranked)
            n = len(ranked)
            candidates = [replace(found[i], text=text_relevance(p, n)) for p, i in enumerate(ranked) if i in found]
        else:
            newest = [key[1] for key in q.page_rows(q.plan(flt), RANK_WINDOW + 1)]
            window = RANK_WINDOW if len(newest) > RANK_WINDOW else 0
            candidates = list(q.candidates(flt, [*newest[:RANK_WINDOW], *ranker.engaged()]).values())
        ordered, counts = ranker.order(request.sort, candidates, self._clock())
        return ordered, window, counts

    @staticmethod
    def _page_keys(
        q: SearchQueries, plan: Plan, request: SearchRequest, page: int, total: int, per_page: int
    ) -> list[SortKey]:
        seek = request.seek if page == request.page and page > 1 else None
        # What the page holds: all of a page but the last, which holds the remainder.
        expected = min(per_page, total - page_offset(page, per_page))
        if seek is not None and expected > 0:
            keys = q.page_rows(plan, per_page if seek.key is not None else expected, seek=seek)
            if len(keys) == expected:
                return keys
            # The archive changed since the neighbouring page was read: find the page by its number instead.
        return q.page_rows(plan, per_page, offset=page_offset(page, per_page))

    def _ranked(self, q: SearchQueries, flt: StoryFilter, query: str) -> tuple[list[int], int]:
        """The ranked matches of a query (and the window if it cut them), or with the last word as a word start."""
        typed = query_words(query)
        prefixed = fts_match(query, prefix=True)
        widened = replace(flt, match=prefixed) if prefixed else None
        ranked, window = q.ranked_ids(flt, words.QUERY_WINDOW, cache=self._windows)
        if ranked or widened is None:
            return ranked, window
        # No story has these exact words: let the last one be the start of a word ("sens").
        return q.ranked_ids(widened, words.PREFIX_WINDOW, prefix_words=typed, cache=self._windows)

    def _more_than(self, flt: StoryFilter, cap: int) -> bool:
        """Whether one of the filter's topics alone has more than ``cap`` stories (the catalog's counts, which only
        grow as embargoed stories come out): several topics are then "cap+" without listing all their stories."""
        if flt.since is not None or flt.providers or not flt.topics:
            return False
        by_norm = self.catalog().by_norm
        return any((entry := by_norm.get(norm)) is not None and entry.count > cap for norm in flt.topics)

    def _known_total(self, flt: StoryFilter) -> int | None:
        """The catalog's count when the filter is exactly one known topic or provider (what autocomplete shows)."""
        catalog = self.catalog()
        if flt.since is not None or bool(flt.topics) == bool(flt.providers):
            return None
        if flt.topics:
            entry = catalog.by_norm.get(flt.topics[0]) if len(flt.topics) == 1 else None
            return entry.count if entry else None
        entry = catalog.by_provider.get(normalise(flt.providers[0]))
        return entry.count if entry and set(flt.providers) == set(entry.spellings) else None

    def _filter(self, request: SearchRequest) -> StoryFilter | None:
        """None when the request cannot match anything (a query with no words in it)."""
        match = None
        if request.query and request.query.strip():
            match = fts_match(request.query)
            if match is None:
                return None
        since = None
        if request.days:
            since = self._clock() - min(max(request.days, 1), MAX_DAYS) * 86400
        return StoryFilter(
            topics=self._topics(request.topic),
            providers=self._providers(request.provider),
            match=match,
            since=since,
            until=self._until(),
        )

    def _until(self) -> float | None:
        return self._clock() if self._embargo else None

    def _topics(self, text: str | None) -> tuple[str, ...]:
        norm = normalise(text)
        if not norm:
            return ()
        catalog = self.catalog()
        if norm in catalog.by_norm:
            return (norm,)
        # Always the exact text too: a topic newer than the catalog still matches itself.
        related = [e.norm for e in rank_entries(catalog.topics, norm, MAX_RELATED) if match_tier(e.norm, norm) != 2]
        return tuple(dict.fromkeys([norm, *related]))

    def _providers(self, text: str | None) -> tuple[str, ...]:
        norm = normalise(text)
        if not norm:
            return ()
        catalog = self.catalog()
        if norm in catalog.by_provider:
            return catalog.by_provider[norm].spellings
        related = [e for e in rank_entries(catalog.providers, norm, MAX_RELATED) if match_tier(e.norm, norm) != 2]
        return tuple(dict.fromkeys([(text or "").strip(), *(s for e in related for s in e.spellings)]))

    def story(self, story_id: int) -> Story | None:
        """One story to open from a result page, if it is still published."""
        with self.store.searching() as q:
            return q.load_published([story_id], self._until()).get(story_id)


def search_stories(store: Store, request: SearchRequest, *, embargo: bool = True) -> list[Story]:
    """One page of stories for ``request`` (the ``newsdesk search`` command)."""
    return SearchService(store, embargo=embargo).search(request).stories
