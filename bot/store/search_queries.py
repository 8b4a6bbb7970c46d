"""Search SQL over published stories: topic, provider, date and full-text filters, and the counts behind
autocomplete.

The same statements run on SQLite and PostgreSQL; the full-text index and the few spellings that differ come
from the connection's backend (``bot.store.backends``). Each statement is shaped so that SQLite picks a plan whose
cost stays bounded at 100,000 stories (``bench/bench_search.py`` measures them); the comments say which plan and
why. Without ANALYZE statistics SQLite's planner often prefers ix_stories_listing; ``backend.hint`` (a unary
``+`` on SQLite) keeps it from using an index for that term.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from bot.store import catalog
from bot.store.backends import Backend, backend_of
from bot.store.backends.sqlite_rank import DocFrequencies
from bot.store.search_windows import PinnedWindows, Rows, WindowCache, Windows
from bot.stories.story import Story

# What FTS5's unicode61 tokenizer keeps as a word: letters and digits; "_" separates, as in "a_b".
_WORD = re.compile(r"[^\W_]+")
_MAX_WORDS = 32
# Words too common to narrow a search; dropped unless the query has nothing else.
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have in is it its of on or that the this to was were with".split()  # noqa: SIM905
)
# Up to this many tagged stories, walking the topic's own rows and sorting them beats walking the date index.
SMALL_TOPIC = 2000
# bm25 costs 5-25 µs per matching story (it reads each one's column sizes and positions): a query matching more
# stories is ranked among its QUERY_WINDOW most recently indexed matches.
QUERY_WINDOW = 200
# A search by word start ("sens") walks the merged postings of every word it starts: a smaller window. A shorter
# start ("sen") matches so many words that the merge alone costs 100 ms and more, so it is not tried.
PREFIX_WINDOW = 100
MIN_PREFIX = 4
_QUOTED = re.compile(r'"([^"]*)"')
# Pages list the dated stories newest first, then the undated ones (on both backends). Each part is its own
# statement walking an index in order, so a page is a seek from a neighbouring row's key, never an OFFSET scan.
_DATED = "s.published_at IS NOT NULL"
_UNDATED = "s.published_at IS NULL"
_DATED_ORDER = ("s.published_at DESC, s.id DESC", "s.published_at, s.id")
_UNDATED_ORDER = ("s.id DESC", "s.id")
# Embargo: a story dated after ``until`` is not out yet. COALESCE keeps undated stories, and keeps the term from
# being used as an index range, so every plan below stays the walk it was tuned as; the term is checked on the
# walk's index entries (published_at is in both listing indexes).
_RELEASED = "COALESCE(s.published_at, 0) <= :until"


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """What a search asks for. Every given part must match; within ``topics`` or ``providers`` any one may."""

    topics: tuple[str, ...] = ()  # normalised (casefolded) topics
    providers: tuple[str, ...] = ()  # exact provider names
    match: str | None = None  # the quoted words from ``fts_match``; results are then ranked by relevance
    since: float | None = None  # epoch seconds
    until: float | None = None  # epoch seconds: only stories dated up to then (embargo); None = any date


@dataclass(frozen=True, slots=True)
class Plan:
    """A filter without full text, as SQL: pages walk ``source``; counting may walk a cheaper ``count_source``."""

    source: str
    where: tuple[str, ...]
    count_source: str
    count_where: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    # A first page of a big topic is found sooner by probing each newest story's tags than by listing the topic.
    first_page_where: tuple[str, ...] = ()


SortKey = tuple[float | None, int]  # (published_at, id) of a row in the page order


@dataclass(frozen=True, slots=True)
class Seek:
    """Where a page starts: the rows after ``key`` in page order (the next page), or with ``backward`` the rows
    before it (the previous page); ``key`` None with ``backward``: the last rows (the last page)."""

    key: SortKey | None
    backward: bool = False


def query_words(query: str) -> list[str]:
    """The words of a query that count: stopwords dropped unless nothing else is left."""
    words = _WORD.findall(query)
    return ([w for w in words if w.casefold() not in _STOPWORDS] or words)[:_MAX_WORDS]


def fts_match(query: str, *, prefix: bool = False) -> str | None:
    """Turn any user text into a safe FTS5 expression: every word quoted and required; with ``prefix``, the last
    word also matches longer words (``sens`` finds ``sensors``), or None if it is shorter than MIN_PREFIX.

    Quoting defuses FTS5 syntax (``OR``, ``NEAR(``, ``*``, ``"``, column filters) so no input is an error.
    """
    words = query_words(query)
    if not words or (prefix and len(words[-1]) < MIN_PREFIX):
        return None
    return " ".join(f'"{w}"' for w in words) + ("*" if prefix else "")


def has_word(text: str) -> bool:
    """Whether ``text`` holds a word the full-text index could match."""
    return _WORD.search(text) is not None


def _live(b: Backend, *, hinted: bool = False) -> tuple[str, ...]:
    columns = ("s.present", "s.published")
    return tuple(f"{b.hint(c) if hinted else c} = {b.true}" for c in columns)


def _released(params: dict[str, Any], until: float | None) -> tuple[str, ...]:
    if until is None:
        return ()
    params["until"] = until
    return (_RELEASED,)


def _run(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> Any:
    return conn.execute(text(sql), params or {})


def _bind(params: dict[str, Any], prefix: str, values: Sequence[Any]) -> str:
    names = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = value
        names.append(f":{prefix}{i}")
    return ", ".join(names)


def _tag_probe(params: dict[str, Any], topics: Sequence[str]) -> str:
    """A story's tags looked up by (story_id, norm): cheap per story, so for when few stories are visited."""
    wanted = _bind(params, "tp", topics)
    return f"EXISTS (SELECT 1 FROM story_topics AS t WHERE t.story_id = s.id AND t.norm IN ({wanted}))"


def plan(conn: Connection, flt: StoryFilter) -> Plan:
    """Choose how to walk the stories for a filter without full text; each choice reads a bounded number of rows."""
    b = backend_of(conn)
    params: dict[str, Any] = {}
    live = _live(b) + _released(params, flt.until)
    topics = f"norm IN ({_bind(params, 't', flt.topics)})" if flt.topics else ""
    others: tuple[str, ...] = ()
    if flt.providers:
        others += (f"s.provider IN ({_bind(params, 'p', flt.providers)})",)
    if flt.since is not None:
        params["since"] = flt.since
        others += ("s.published_at >= :since",)
    if not topics:
        # Newest first along ix_stories_listing or ix_stories_provider: a page stops after its last row.
        return Plan("stories AS s", live + others, "stories AS s", live + others, params)
    by_topic = (
        f"(SELECT DISTINCT story_id FROM story_topics WHERE {topics}) AS t {b.ordered_join} stories AS s "
        "ON s.id = t.story_id"
    )
    # PostgreSQL reads the topic's ids as an array, then each story by id (stopping at a count's cap): joined, it
    # would first hash or de-duplicate every row of the topic.
    by_ids = (f"s.id = ANY(ARRAY(SELECT story_id FROM story_topics WHERE {topics}))",)
    postgres = b.name == "postgresql"
    if _tagged_count(conn, topics, params) <= SMALL_TOPIC:
        # A rare topic: look up its few stories and sort them, rather than scan the date index for them.
        if postgres:
            return Plan("stories AS s", by_ids + live + others, "stories AS s", by_ids + live + others, params)
        return Plan(by_topic, live + others, by_topic, live + others, params)
    if postgres and len(flt.topics) == 1 and not flt.providers:
        # One big topic: its own entries in page order (ix_story_topics_dated), each joined to its story by id.
        dated = (
            "(SELECT t.story_id AS id, t.published_at, st.present, st.published FROM story_topics AS t "
            "JOIN stories AS st ON st.id = t.story_id WHERE t.norm = :t0) AS s"
        )
        return Plan(dated, live + others, dated, live + others, params)
    # A big topic: newest first along the date index, probing a list of the topic's ids. Counting it alone is
    # cheaper from the topic's side.
    where = (*live, f"s.id IN (SELECT story_id FROM story_topics WHERE {topics})", *others)
    first = (*live, _tag_probe(params, flt.topics), *others)
    if others:
        return Plan("stories AS s", where, "stories AS s", where, params, first)
    if postgres:
        return Plan("stories AS s", where, "stories AS s", by_ids + live, params, first)
    return Plan("stories AS s", where, by_topic, live, params, first)


def _tagged_count(conn: Connection, topics: str, params: dict[str, Any]) -> int:
    # Bounded: reads at most SMALL_TOPIC + 1 entries of ix_story_topics_norm.
    sql = f"SELECT count(*) FROM (SELECT 1 FROM story_topics WHERE {topics} LIMIT {SMALL_TOPIC + 1}) AS c"
    return _run(conn, sql, params).scalar() or 0


def count(conn: Connection, p: Plan, cap: int) -> int:
    """How many stories match, counting at most ``cap + 1`` (more than ``cap`` means "cap+")."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {p.count_source} WHERE {' AND '.join(p.count_where)} LIMIT :cap) AS c"
    return _run(conn, sql, {**p.params, "cap": cap + 1}).scalar() or 0


def page_rows(conn: Connection, p: Plan, limit: int, *, offset: int = 0, seek: Seek | None = None) -> list[SortKey]:
    """(published_at, id) of one page's rows, in page order: from ``seek``; else from the ``offset``-th row (the
    first page, or a page reached without a neighbour's key, such as a page number typed in)."""
    if seek is None:
        if offset:
            return _offset_rows(conn, p, limit, offset)
        newest = _part(conn, p, limit, dated=True, first=True)
        return newest + (_part(conn, p, limit - len(newest), dated=False) if len(newest) < limit else [])
    key = seek.key
    rows: list[SortKey] = []
    if seek.backward:
        # From the end (or an undated key) back through the undated part, then on into the dated part.
        if key is None or key[0] is None:
            rows, key = _part(conn, p, limit, dated=False, key=key, backward=True), None
        if len(rows) < limit:
            rows += _part(conn, p, limit - len(rows), dated=True, key=key, backward=True)
        return rows[::-1]
    if key is None or key[0] is not None:
        rows, key = _part(conn, p, limit, dated=True, key=key), None
    if len(rows) < limit:
        rows += _part(conn, p, limit - len(rows), dated=False, key=key)
    return rows


def _offset_rows(conn: Connection, p: Plan, limit: int, offset: int) -> list[SortKey]:
    rows = _part(conn, p, limit, dated=True, offset=offset)
    if len(rows) == limit:
        return rows
    # The page reaches into the undated part: how far depends on how many dated rows there are (at most offset).
    if rows:
        skip = 0
    else:
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {p.source} WHERE {' AND '.join((*p.where, _DATED))} LIMIT :cap) c"
        skip = offset - (_run(conn, sql, {**p.params, "cap": offset}).scalar() or 0)
    return rows + _part(conn, p, limit - len(rows), dated=False, offset=skip)


def _part(
    conn: Connection,
    p: Plan,
    limit: int,
    *,
    dated: bool,
    key: SortKey | None = None,
    backward: bool = False,
    offset: int = 0,
    first: bool = False,
) -> list[SortKey]:
    """Rows of the dated or the undated part, in page order (reversed with ``backward``), past ``key`` if given."""
    params = {**p.params, "limit": limit, "offset": offset}
    # A seek starts the walk at the neighbour's row, so probing each story's tags stays as cheap as on a first page.
    probe = (first or key is not None) and p.first_page_where
    where = [*(p.first_page_where if probe else p.where), _DATED if dated else _UNDATED]
    if key is not None:
        params["sp"], params["si"] = key
        if not dated:
            where.append("s.id > :si" if backward else "s.id < :si")
        elif backward:
            where += ["s.published_at >= :sp", "(s.published_at > :sp OR s.id > :si)"]
        else:
            # The range term walks the index from the key; the second one settles ties on the date by id.
            where += ["s.published_at <= :sp", "(s.published_at < :sp OR s.id < :si)"]
    order = (_DATED_ORDER if dated else _UNDATED_ORDER)[backward]
    sql = f"SELECT s.published_at, s.id FROM {p.source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit"
    if offset:
        sql += " OFFSET :offset"
    return [(row[0], row[1]) for row in _run(conn, sql, params)] if limit > 0 else []


def ranked_ids(
    conn: Connection,
    flt: StoryFilter,
    window: int,
    *,
    prefix_words: Sequence[str] = (),
    freq: DocFrequencies | None = None,
    cache: Windows | None = None,
) -> tuple[list[int], int]:
    """Every story matching ``flt`` (which has full text), best first, and ``window`` if it cut the matches (or 0).

    With a word start (``fts_match(..., prefix=True)``, its words in ``prefix_words``) relevance scoring is
    skipped: FTS5's bm25 would merge the postings of every word that start begins all over again. Stories with
    more of the words in their title come first there, newest first. Each backend reads only the ``window`` most
    recently indexed matches.
    """
    b = backend_of(conn)
    words = _QUOTED.findall(flt.match or "")
    prefix = bool(flt.match and flt.match.endswith("*"))
    rows = _window(conn, flt, words, prefix, window + 1, freq, cache)
    if prefix:  # the score is the title
        rank = {row[0]: -_title_hits(row[1], prefix_words or words) for row in rows[:window]}
    else:
        rank = {row[0]: row[1] for row in rows[:window]}
    if not rank:
        return [], 0
    params: dict[str, Any] = {}
    where = [b.ids_in(params, list(rank)), *_live(b, hinted=True)]
    if flt.topics:
        where.append(_tag_probe(params, flt.topics))
    if flt.providers:
        where.append(f"{b.hint('s.provider')} IN ({_bind(params, 'p', flt.providers)})")
    if flt.since is not None:
        params["since"] = flt.since
        where.append(f"{b.hint('s.published_at')} >= :since")
    where += _released(params, flt.until)
    sql = f"SELECT s.id, s.published_at FROM stories AS s WHERE {' AND '.join(where)}"
    found = _run(conn, sql, params).all()
    ordered = sorted(found, key=lambda row: (rank[row[0]], -(row[1] or 0.0), -row[0]))
    return [row[0] for row in ordered], window if len(rows) > window else 0


def _window(
    conn: Connection,
    flt: StoryFilter,
    words: Sequence[str],
    prefix: bool,
    n: int,
    freq: DocFrequencies | None,
    cache: Windows | None,
) -> Rows:
    """The backend's ``n`` newest full-text matches (with scores), from ``cache`` while the index is unchanged."""

    def read() -> Rows:
        return backend_of(conn).search_window(conn, words, prefix, flt.topics, flt.providers, n, freq)

    if cache is None:
        return read()
    return cache.rows(conn, (tuple(words), prefix, flt.topics, flt.providers, n, freq is not None), read)


def _title_hits(title: str, words: Sequence[str]) -> int:
    """How many of the words a title has; the last one may be the start of a title word."""
    text = f" {' '.join(_WORD.findall((title or '').casefold()))} "
    *whole, start = (w.casefold() for w in words)
    return sum(f" {w} " in text for w in whole) + (f" {start}" in text)


def load_published(conn: Connection, ids: Iterable[int], until: float | None = None) -> dict[int, Story]:
    """The stories with these ids that are still published (a page may be read just as one is withdrawn) and,
    with ``until``, released by then."""
    wanted = list(ids)
    if not wanted:
        return {}
    params: dict[str, Any] = {}
    # The hint stops SQLite from scanning ix_stories_listing for these few rows instead of fetching them by id.
    live = " AND ".join(_live(backend_of(conn), hinted=True) + _released(params, until))
    sql = f"SELECT s.id, s.data FROM stories AS s WHERE s.id IN ({_bind(params, 'i', wanted)}) AND {live}"
    rows = _run(conn, sql, params)
    return {row[0]: Story.from_dict(json.loads(row[1])) for row in rows}


def topic_counts(conn: Connection, until: float | None = None) -> list[tuple[str, str, int]]:
    """(norm, a spelling, published stories) for every topic of a published story (released by ``until``)."""
    # Walking ix_story_topics_norm in order needs no sort for GROUP BY; the published ids are probed as a list.
    # A spelling is then read once per topic rather than once per tag (which would visit every tag's row).
    b = backend_of(conn)
    params: dict[str, Any] = {}
    released = "".join(f" AND {term}" for term in _released(params, until))
    sql = (
        "SELECT c.norm, (SELECT topic FROM story_topics WHERE norm = c.norm LIMIT 1), c.n FROM ("
        f"SELECT norm, count(*) AS n FROM story_topics{b.indexed_by('ix_story_topics_norm')} "
        f"WHERE story_id IN (SELECT s.id FROM stories AS s WHERE s.present = {b.true} AND s.published = {b.true}"
        f"{released}) GROUP BY norm) AS c"
    )
    return [(row[0], row[1], row[2]) for row in _run(conn, sql, params)]


def provider_counts(conn: Connection, until: float | None = None) -> list[tuple[str, int]]:
    """(provider name, published stories) for every provider of a published story (released by ``until``)."""
    # The hint keeps SQLite off ix_stories_listing, so it walks ix_stories_provider: covering, already grouped.
    b = backend_of(conn)
    params: dict[str, Any] = {}
    released = "".join(f"AND {term} " for term in _released(params, until))
    sql = (
        f"SELECT provider, count(*) FROM stories AS s WHERE {b.hint('present')} = {b.true} "
        f"AND {b.hint('published')} = {b.true} AND provider != '' {released}GROUP BY provider"
    )
    return [(row[0], row[1]) for row in _run(conn, sql, params)]


class SearchQueries:
    """The statements above on one connection, for one search: what ``Store.searching()`` hands out, so no
    connection leaves the store."""

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

    def topic_counts(self, until: float | None = None) -> list[tuple[str, str, int]]:
        return topic_counts(self._conn, until)

    def provider_counts(self, until: float | None = None) -> list[tuple[str, int]]:
        return provider_counts(self._conn, until)

    def catalog_version(self, until: float | None = None) -> tuple[Any, ...]:
        return catalog.version(self._conn, until)

    def catalog_rows(self, until: float | None = None) -> catalog.CatalogRows:
        return catalog.read(self._conn, until)
