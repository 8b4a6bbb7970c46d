"""PostgreSQL full text: a search's words as a tsquery, word starts spelled out from ``search_lexemes``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, text

# A word start is spelled out as the words it begins (from ``search_lexemes``, migration 0006) up to this many;
# beyond that it stays a partial match (":*"), which a start that broad makes no slower than the words would.
MAX_EXPANSION = 64
_LEXEME = re.compile(r"[^\W_]+")


def tsquery(conn: Connection, words: Sequence[str], prefix: bool) -> str | None:
    """The words as a tsquery, all required; with ``prefix`` the last one also matches the words it begins. None
    when a word (or start) is in no story: its statistics make the planner guess it common, and walk the table."""
    whole = list(words[:-1] if prefix else words)
    # Folded as the index folds them (to_tsvector), not as Python would.
    absent = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM unnest(tsvector_to_array(to_tsvector('simple', :words))) AS x(w) "
            "WHERE NOT EXISTS (SELECT 1 FROM search_lexemes AS l WHERE l.word = x.w))"
        ),
        {"words": " ".join(whole)},
    ).scalar()
    if absent:
        return None
    terms = [f"'{w}'" for w in whole]
    if prefix:
        start = _word_start(conn, words[-1])
        if start is None:
            return None
        terms.append(start)
    return " & ".join(terms)


def _word_start(conn: Connection, start: str) -> str | None:
    """A word start as the words of the index it begins ('protocol' | 'prototype'), or as a partial match."""
    folded = conn.execute(text("SELECT tsvector_to_array(to_tsvector('simple', :w))"), {"w": start}).scalar()
    if not folded or len(folded) != 1:
        return f"'{start}':*"
    found = (
        conn.execute(
            text("SELECT word FROM search_lexemes WHERE word LIKE :pattern ORDER BY word LIMIT :cap"),
            {
                "pattern": folded[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                "cap": MAX_EXPANSION + 1,
            },
        )
        .scalars()
        .all()
    )
    if not found:
        return None  # no word starts so
    if len(found) > MAX_EXPANSION or not all(_LEXEME.fullmatch(w) for w in found):
        return f"'{start}':*"
    return "(" + " | ".join(f"'{w}'" for w in found) + ")"
