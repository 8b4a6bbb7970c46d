"""PostgreSQL full text: a search's words as a tsquery, word starts spelled out from ``search_lexemes``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from bot.search.bitmaps import MAX_EXPANSION

_LEXEME = re.compile(r"[^\W_]+")

# In one round trip: whether a whole word (folded as the index folds it) is in no story; the whole words' lexemes
# if each is one dense word (``postgres_bits``), else NULL; the word start folded; and the words of the index it
# begins, in order, with whether each is dense (a range of the primary key: its collation is "C").
_TERMS = text(
    "SELECT EXISTS (SELECT 1 FROM unnest(tsvector_to_array(to_tsvector('simple', :words))) AS x(w) "
    "  WHERE NOT EXISTS (SELECT 1 FROM search_lexemes AS l WHERE l.word = x.w)), "
    "(SELECT CASE WHEN bool_and(cardinality(f.a) = 1 AND l.dense) THEN array_agg(f.a[1]) END "
    "  FROM unnest(CAST(:each AS text[])) AS x(w) "
    "  CROSS JOIN LATERAL (SELECT tsvector_to_array(to_tsvector('simple', x.w)) AS a) AS f "
    "  LEFT JOIN search_lexemes AS l ON l.word = f.a[1]), "
    "s.a, e.words, e.dense "
    "FROM (SELECT tsvector_to_array(to_tsvector('simple', :start)) AS a) AS s "
    "LEFT JOIN LATERAL (SELECT array_agg(l.word ORDER BY l.word) AS words, array_agg(l.dense ORDER BY l.word) AS dense "
    "  FROM (SELECT word, dense FROM search_lexemes WHERE cardinality(s.a) = 1 AND word >= s.a[1] "
    "  AND word < s.a[1] || chr(1114111) ORDER BY word LIMIT :cap) AS l) AS e ON TRUE"
)


@dataclass(frozen=True)
class Terms:
    """A search's tsquery, and its words as groups of dense words (one group a word; a word start's group the
    words it begins) when every group is, for ``postgres_bits``; else None."""

    query: str
    groups: list[list[str]] | None


def tsquery(conn: Connection, words: Sequence[str], prefix: bool) -> Terms | None:
    """The words as a tsquery, all required; with ``prefix`` the last one also matches the words it begins. None
    when a word (or start) is in no story: its statistics make the planner guess it common, and walk the table."""
    whole = list(words[:-1] if prefix else words)
    params = {"words": " ".join(whole), "each": whole, "start": words[-1] if prefix else "", "cap": MAX_EXPANSION + 1}
    absent, dense, folded, begun, begun_dense = conn.execute(_TERMS, params).one()
    if absent:
        return None
    terms = [f"'{w}'" for w in whole]
    groups: list[list[str]] | None = None  # a whole word is not one dense word
    if not whole:
        groups = []
    elif dense:
        groups = [[w] for w in dense]
    if not prefix:
        return Terms(" & ".join(terms), groups)
    if not folded or len(folded) != 1:
        start, group = f"'{words[-1]}':*", None
    elif not begun:
        return None  # no word starts so
    elif len(begun) > MAX_EXPANSION or not all(_LEXEME.fullmatch(w) for w in begun):
        start, group = f"'{words[-1]}':*", None
    else:
        # The start spelled out as the words it begins ('protocol' | 'prototype').
        start, group = "(" + " | ".join(f"'{w}'" for w in begun) + ")", begun if all(begun_dense) else None
    terms.append(start)
    return Terms(" & ".join(terms), [*groups, group] if groups is not None and group else None)
