"""What a search asks for (``StoryFilter``), and the SQL terms every search statement shares.

The same statements run on SQLite and PostgreSQL; the full-text index and the few spellings that differ come from
the connection's search backend (``bot.search.backend``). Without ANALYZE statistics SQLite's planner often
prefers ix_stories_listing; ``backend.hint`` (a unary ``+`` on SQLite) keeps it from using an index for a term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from bot.search.backend import SearchBackend

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


def live_terms(b: SearchBackend, *, hinted: bool = False) -> tuple[str, ...]:
    """The terms a published story meets (``hinted``: kept off the indexes, when the ids are already known)."""
    columns = ("s.present", "s.published")
    return tuple(f"{b.hint(c) if hinted else c} = {b.true}" for c in columns)


def released_terms(params: dict[str, Any], until: float | None) -> tuple[str, ...]:
    """The embargo's term (none without ``until``), its value put in ``params``."""
    if until is None:
        return ()
    params["until"] = until
    return (_RELEASED,)


def known_ids_terms(b: SearchBackend, params: dict[str, Any], ids: Sequence[int], flt: StoryFilter) -> list[str]:
    """The terms of a statement that checks stories already found (by id) against the rest of the filter: live,
    topics, providers, dates and the embargo. Cheap per story, so for a few thousand ids at most."""
    where = [b.ids_in(params, list(ids)), *live_terms(b, hinted=True)]
    if flt.topics:
        where.append(tag_probe(params, flt.topics))
    if flt.providers:
        where.append(f"{b.hint('s.provider')} IN ({bind(params, 'p', flt.providers)})")
    if flt.since is not None:
        params["since"] = flt.since
        where.append(f"{b.hint('s.published_at')} >= :since")
    where += released_terms(params, flt.until)
    return where


def run(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> Any:
    return conn.execute(text(sql), params or {})


def bind(params: dict[str, Any], prefix: str, values: Sequence[Any]) -> str:
    """``values`` as numbered parameters ``:prefix0, :prefix1, ...`` (put in ``params``), for an IN list."""
    names = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = value
        names.append(f":{prefix}{i}")
    return ", ".join(names)


def tag_probe(params: dict[str, Any], topics: Sequence[str]) -> str:
    """A story's tags looked up by (story_id, norm): cheap per story, so for when few stories are visited."""
    wanted = bind(params, "tp", topics)
    return f"EXISTS (SELECT 1 FROM story_topics AS t WHERE t.story_id = s.id AND t.norm IN ({wanted}))"
