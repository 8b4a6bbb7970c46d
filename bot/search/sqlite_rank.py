"""FTS5's bm25, computed for the ranking window only.

FTS5's own ``rank`` reads, for each query word, every row that has it (bm25's IDF needs the number of matching
rows): a common word at a million stories costs 30-50 ms before the first row is ranked. Here the window of the
newest matches is read without ``rank``, and scored with bm25's formula and inputs (fts5_aux.c): the column
weights, each row's token count (``stories_fts_docsize``), the average (FTS5's averages record) and the IDF from
each word's number of matching rows, which indexed batches keep in ``search_terms`` (words folded in Python as
unicode61 folds them: exactly so for the plain ASCII words scored here). So scores equal ``rank``'s. A query of
one word needs no count at all: its IDF is a common factor of every score, so its scores are ``rank``'s divided
by it, in the same order.

Used for plain words only (ASCII letters and digits, no word start, no topic or provider column filter); any
other query uses FTS5's ``rank``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import Connection

WEIGHTS = (4.0, 1.0, 2.0, 2.0)  # title, excerpt, provider, topics: as RANK_WEIGHTS
K1, B = 1.2, 0.75
_PLAIN = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[^\W_]+")
_MARKED = re.compile("\x01([^\x02]*)\x02")


def is_plain(words: Sequence[str]) -> bool:
    return all(_PLAIN.fullmatch(w.lower()) for w in words)


class DocFrequencies:
    """word -> number of indexed rows with it, read from ``search_terms`` (migration 0007), which every indexed
    batch keeps current: a point lookup, where FTS5 would read the word's whole posting list."""

    def get(self, conn: Connection, word: str) -> int:
        found = conn.exec_driver_sql("SELECT docs FROM search_terms WHERE term = ?", (word,)).scalar()
        return max(0, found or 0)


def row_terms(columns: Sequence[str | None]) -> set[str]:
    """The words of one row (its column texts), as the tokenizer folds them."""
    return {token for text in columns if text for token in tokens(text)}


def varints(blob: bytes) -> list[int]:
    """SQLite's varints, as FTS5 stores its sizes."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def tokens(text: str) -> list[str]:
    """A highlighted span's words, folded as unicode61 with remove_diacritics folds them."""
    tokens = _TOKEN.findall(text.lower())
    if text.isascii():
        return tokens
    return ["".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c)) for t in tokens]


def marked_tokens(highlighted: str | None) -> list[str]:
    """The folded words ``highlight(..., char(1), char(2))`` marked in a column's text."""
    return [token for span in _MARKED.findall(highlighted or "") for token in tokens(span)]


def window(
    conn: Connection,
    match: str,
    words: Sequence[str],
    n: int,
    freq: DocFrequencies,
    within: tuple[int, int] | None = None,
) -> list[tuple[int, float]]:
    """The ``n`` newest rows matching ``match`` (the quoted ``words``), each with FTS5's ``bm25(4.0, 1.0, 2.0, 2.0)``;
    ``within``: only rows with ids in that range (the window's lowest and highest, when known beforehand).

    ``highlight`` marks each word's instances in each column (FTS5's own tokenizer; it needs no IDF), and
    ``stories_fts_docsize`` holds each row's token count: bm25's inputs for the window alone.
    """
    columns = ", ".join(f"highlight(stories_fts, {c}, char(1), char(2))" for c in range(len(WEIGHTS)))
    low, high = within or (None, None)
    rows = conn.exec_driver_sql(
        f"SELECT rowid, {columns} FROM stories_fts WHERE stories_fts MATCH ?"
        f"{' AND rowid BETWEEN ? AND ?' if within else ''} ORDER BY rowid DESC LIMIT ?",
        (match, *((low, high) if within else ()), n),
    ).all()
    if not rows:
        return []
    averages = conn.exec_driver_sql("SELECT block FROM stories_fts_data WHERE id = 1").scalar()
    nrow, *totals = varints(averages or b"")
    avgdl = sum(totals) / nrow
    lowered = [w.lower() for w in words]
    idf = [1.0] * len(lowered)
    if len(set(lowered)) > 1:
        # With one word the IDF is a common factor of every score, so the order needs no count of its rows.
        for i, word in enumerate(lowered):
            hits = freq.get(conn, word)
            value = math.log((nrow - hits + 0.5) / (hits + 0.5))
            idf[i] = value if value > 0.0 else 1e-6
    ids = ",".join(str(int(row[0])) for row in rows)
    docsize = conn.exec_driver_sql(f"SELECT id, sz FROM stories_fts_docsize WHERE id IN ({ids})")
    # Sizes under 128 tokens are one byte each: the usual case needs no decoding.
    sizes = {row[0]: sum(row[1]) if max(row[1], default=0) < 0x80 else sum(varints(row[1])) for row in docsize}
    out = []
    for rowid, *texts in rows:
        freqs = [0.0] * len(lowered)
        for weight, text in zip(WEIGHTS, texts, strict=True):
            for span in _MARKED.findall(text or ""):
                for token in tokens(span):
                    for i, word in enumerate(lowered):
                        if token == word:
                            freqs[i] += weight
        length = float(sizes.get(rowid, 0))
        score = 0.0
        for i, f in enumerate(freqs):
            score += idf[i] * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * length / avgdl)))
        out.append((rowid, -1.0 * score))
    return out
