"""SQLite's full-text search: the FTS5 index with its word counts and bitmaps, the ranking window, and the
planner hints the search SQL was measured with."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from bot.search import sqlite_bits
from bot.search.sqlite_rank import DocFrequencies, is_plain, marked_tokens, row_terms, tokens, window
from bot.search.words import has_word

if TYPE_CHECKING:
    from bot.search.backend import Ask, BulkInsert, Rows, SearchRow

log = logging.getLogger(__name__)

# The prefix indexes' lengths (migration 0006): a word start up to this long walks one posting list.
LONGEST_PREFIX_INDEX = 6
# A word start longer than that walks the rows of its first LONGEST_PREFIX_INDEX letters, checking each: at most
# this many, so a start sharing its first letters with common words ("überwachungsx") costs a few times a usual
# search, not 150 ms. The window then holds the matches among those newest rows.
MAX_WALK = 1000
# Title matches count most, then provider and topics, then the excerpt.
RANK_WEIGHTS = "bm25(4.0, 1.0, 2.0, 2.0)"


class SqliteSearch:
    name = "sqlite"
    true = "1"
    ordered_join = "CROSS JOIN"

    def add(self, conn: Connection, rows: Sequence[SearchRow], bulk_insert: BulkInsert) -> None:
        # One executemany with positional rows into FTS5: the first index of a large folder writes hundreds of
        # thousands (the store's bulk insert is for ordinary tables).
        conn.exec_driver_sql(
            "INSERT INTO stories_fts (rowid, title, excerpt, provider, topics) VALUES (?, ?, ?, ?, ?)", list(rows)
        )
        terms = [(row[0], row_terms(row[1:])) for row in rows]
        states = _count_terms(conn, _counted(terms), +1)
        sqlite_bits.add(conn, terms, states)

    def remove(self, conn: Connection, story_ids: Sequence[int]) -> None:
        if not story_ids:
            return
        # The words the removed rows had leave the counts: read from FTS5's own copy of the text, by rowid.
        removed = conn.exec_driver_sql(
            "SELECT rowid, title, excerpt, provider, topics FROM stories_fts "
            "WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(story_ids)),),
        )
        terms = [(row[0], row_terms(row[1:])) for row in removed]
        states = _count_terms(conn, _counted(terms), -1)
        sqlite_bits.remove(conn, terms, states)
        conn.exec_driver_sql("DELETE FROM stories_fts WHERE rowid = ?", [(i,) for i in story_ids])

    def window(self, conn: Connection, ask: Ask, n: int, freq: DocFrequencies | None = None) -> Rows:
        words, prefix, topics, providers = ask.words, ask.prefix, ask.topics, ask.providers
        # Every word quoted: FTS5 syntax in user text (OR, NEAR(, *, ", column filters) stays inert.
        match = " ".join(f'"{w}"' for w in words) + ("*" if prefix else "")
        plain = not topics and not providers and is_plain(words)
        common = sqlite_bits.groups(conn, words, prefix) if plain else None
        if common is not None and not all(common):
            return []  # a word no story has
        if common is not None and (prefix or freq is not None):
            # Every word is common: the bitmaps tell the newest matches.
            ids = sqlite_bits.newest(conn, common, n)
            if not ids:
                return []
            if prefix:
                found = conn.exec_driver_sql(
                    "SELECT rowid, title FROM stories_fts WHERE rowid IN (SELECT value FROM json_each(?)) "
                    "ORDER BY rowid DESC",
                    (json.dumps(ids),),
                )
                return [(row[0], row[1]) for row in found]
            assert freq is not None
            # Scored as below, FTS5 walking only the window's range of ids (all of them match).
            return window(conn, match, words, n, freq, within=(ids[-1], ids[0]))
        if freq is not None and not prefix and plain:
            # The window alone, scored here: FTS5's rank would first read every row with each word (bm25's IDF).
            return [(rowid, score) for rowid, score in window(conn, match, words, n, freq)]
        if prefix and len(words[-1]) > LONGEST_PREFIX_INDEX:
            return _long_start_window(conn, words, topics, providers, n)
        params: dict[str, Any] = {"match": _narrowed(match, topics, providers), "weights": RANK_WEIGHTS, "n": n}
        # One pass down the doclists from the newest rowid: FTS5 stops after the window, ranking only what it read.
        # With a word start bm25 is skipped: its IDF pass would merge the postings of every word it begins again.
        score = "title" if prefix else "rank"
        rows = conn.exec_driver_sql(
            f"SELECT rowid, {score} FROM stories_fts WHERE stories_fts MATCH :match"
            f"{'' if prefix else ' AND rank MATCH :weights'} ORDER BY rowid DESC LIMIT :n",
            params,
        ).all()
        return [(row[0], row[1]) for row in rows]

    def hint(self, column: str) -> str:
        return f"+{column}"

    def ids_in(self, params: dict[str, Any], ids: Sequence[int]) -> str:
        params["ids"] = json.dumps(list(ids))
        return "s.id IN (SELECT value FROM json_each(:ids))"

    def indexed_by(self, index: str) -> str:
        return f" INDEXED BY {index}"


def _long_start_window(
    conn: Connection, words: Sequence[str], topics: Sequence[str], providers: Sequence[str], n: int
) -> list[tuple[int, Any]]:
    """The ``n`` newest rows with ``words``, the last one a word start longer than any prefix index; with titles.

    FTS5 would merge the whole posting list of every word such a start begins before returning a row. Instead the
    rows matching its first LONGEST_PREFIX_INDEX characters come newest first from the prefix index, lazily, and
    a row is kept when one of the words FTS5 marked in it starts with the whole start. The walk stops after
    MAX_WALK rows: older matches of such a start are not found.
    """
    start = "".join(tokens(words[-1]))
    match = " ".join([*(f'"{w}"' for w in words[:-1]), f'"{start[:LONGEST_PREFIX_INDEX]}"*'])
    columns = ", ".join(f"highlight(stories_fts, {c}, char(1), char(2))" for c in range(4))
    result = conn.exec_driver_sql(
        f"SELECT rowid, title, {columns} FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rowid DESC",
        (_narrowed(match, topics, providers),),
    )
    out: list[tuple[int, Any]] = []
    try:
        for walked, (rowid, title, *texts) in enumerate(result, 1):
            if any(token.startswith(start) for text in texts for token in marked_tokens(text)):
                out.append((rowid, title))
                if len(out) >= n:
                    break
            if walked >= MAX_WALK:
                log.debug("Word start %r: stopped after %d rows with %d matches", start, walked, len(out))
                break
    finally:
        result.close()
    return out


def _counted(rows: Sequence[tuple[int, set[str]]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _, terms in rows:
        counts.update(terms)
    return counts


def _count_terms(conn: Connection, counts: Counter[str], sign: int) -> dict[str, tuple[int, bool]]:
    """Add (``sign`` +1) or take out (-1) rows' words in ``search_terms``, the counts bm25's IDF reads; each
    word's count and whether it is dense (``sqlite_bits``) after that."""
    if not counts:
        return {}
    rows = conn.exec_driver_sql(
        "INSERT INTO search_terms (term, docs) "
        "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) WHERE 1 "
        "ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs RETURNING term, docs, dense",
        (json.dumps([(term, sign * n) for term, n in counts.items()]),),
    )
    return {term: (docs, bool(dense)) for term, docs, dense in rows}


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _narrowed(match: str, topics: Sequence[str], providers: Sequence[str]) -> str:
    """The query, also required to mention the wanted topics or providers in their own FTS5 columns.

    The exact filters still apply in SQL; this only makes the full-text side small before the window, so that a
    common word with a topic ranks that topic's stories rather than the newest stories overall.
    """
    parts = [f"({match})"]
    for column, values in (("topics", topics), ("provider", providers)):
        phrases = [_phrase(v) for v in values if has_word(v)]
        if phrases and len(phrases) == len(values):
            parts.append(f"{column} : ({' OR '.join(phrases)})")
    return " AND ".join(parts)


SQLITE_SEARCH = SqliteSearch()
