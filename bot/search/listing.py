"""Listing published stories without full text, newest first: by topic, provider and date, a page at a time.

Each statement is shaped so that SQLite picks a plan whose cost stays bounded at 100,000 stories
(``bench/bench_search.py`` measures them); the comments say which plan and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from bot.search.backend import search_backend_of
from bot.search.filters import StoryFilter, bind, live_terms, released_terms, run, tag_probe

# Up to this many tagged stories, walking the topic's own rows and sorting them beats walking the date index.
SMALL_TOPIC = 2000
# Pages list the dated stories newest first, then the undated ones (on both backends). Each part is its own
# statement walking an index in order, so a page is a seek from a neighbouring row's key, never an OFFSET scan.
_DATED = "s.published_at IS NOT NULL"
_UNDATED = "s.published_at IS NULL"
_DATED_ORDER = ("s.published_at DESC, s.id DESC", "s.published_at, s.id")
_UNDATED_ORDER = ("s.id DESC", "s.id")


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


def plan(conn: Connection, flt: StoryFilter) -> Plan:
    """Choose how to walk the stories for a filter without full text; each choice reads a bounded number of rows."""
    b = search_backend_of(conn)
    params: dict[str, Any] = {}
    live = live_terms(b) + released_terms(params, flt.until)
    topics = f"norm IN ({bind(params, 't', flt.topics)})" if flt.topics else ""
    others: tuple[str, ...] = ()
    if flt.providers:
        others += (f"s.provider IN ({bind(params, 'p', flt.providers)})",)
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
    first = (*live, tag_probe(params, flt.topics), *others)
    if others:
        return Plan("stories AS s", where, "stories AS s", where, params, first)
    if postgres:
        return Plan("stories AS s", where, "stories AS s", by_ids + live, params, first)
    return Plan("stories AS s", where, by_topic, live, params, first)


def _tagged_count(conn: Connection, topics: str, params: dict[str, Any]) -> int:
    # Bounded: reads at most SMALL_TOPIC + 1 entries of ix_story_topics_norm.
    sql = f"SELECT count(*) FROM (SELECT 1 FROM story_topics WHERE {topics} LIMIT {SMALL_TOPIC + 1}) AS c"
    return run(conn, sql, params).scalar() or 0


def count(conn: Connection, p: Plan, cap: int) -> int:
    """How many stories match, counting at most ``cap + 1`` (more than ``cap`` means "cap+")."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {p.count_source} WHERE {' AND '.join(p.count_where)} LIMIT :cap) AS c"
    return run(conn, sql, {**p.params, "cap": cap + 1}).scalar() or 0


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
        skip = offset - (run(conn, sql, {**p.params, "cap": offset}).scalar() or 0)
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
    return [(row[0], row[1]) for row in run(conn, sql, params)] if limit > 0 else []
