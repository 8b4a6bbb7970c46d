"""A search's words: what counts as a word (as FTS5's unicode61 tokenizer sees one), the stopwords dropped, the
safe full-text expression made of them, and how many matches are ranked."""

from __future__ import annotations

import re

# What FTS5's unicode61 tokenizer keeps as a word: letters and digits; "_" separates, as in "a_b".
WORD = re.compile(r"[^\W_]+")
_MAX_WORDS = 32
# Words too common to narrow a search; dropped unless the query has nothing else.
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have in is it its of on or that the this to was were with".split()  # noqa: SIM905
)
# bm25 costs 5-25 µs per matching story (it reads each one's column sizes and positions): a query matching more
# stories is ranked among its QUERY_WINDOW most recently indexed matches.
QUERY_WINDOW = 200
# A search by word start ("sens") walks the merged postings of every word it starts: a smaller window. A shorter
# start ("sen") matches so many words that the merge alone costs 100 ms and more, so it is not tried.
PREFIX_WINDOW = 100
MIN_PREFIX = 4


def query_words(query: str) -> list[str]:
    """The words of a query that count: stopwords dropped unless nothing else is left."""
    words = WORD.findall(query)
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
    return WORD.search(text) is not None
