"""Full-text search: the matches of a query, best first, ranked within the window of the newest matches."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from bot.search.backend import Ask, Rows, search_backend_of
from bot.search.filters import StoryFilter, known_ids_terms, run
from bot.search.sqlite_rank import DocFrequencies
from bot.search.windows import Windows
from bot.search.words import WORD

_QUOTED = re.compile(r'"([^"]*)"')


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
    b = search_backend_of(conn)
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
    where = known_ids_terms(b, params, list(rank), flt)
    sql = f"SELECT s.id, s.published_at FROM stories AS s WHERE {' AND '.join(where)}"
    found = run(conn, sql, params).all()
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
    ask = Ask(tuple(words), prefix, flt.topics, flt.providers)

    def read() -> Rows:
        return search_backend_of(conn).window(conn, ask, n, freq)

    if cache is None:
        return read()
    return cache.rows(conn, (ask, n, freq is not None), read)


def _title_hits(title: str, words: Sequence[str]) -> int:
    """How many of the words a title has; the last one may be the start of a title word."""
    text = f" {' '.join(WORD.findall((title or '').casefold()))} "
    *whole, start = (w.casefold() for w in words)
    return sum(f" {w} " in text for w in whole) + (f" {start}" in text)
