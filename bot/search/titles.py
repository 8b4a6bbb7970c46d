"""``/feed explain``'s title autocomplete, from the full-text index instead of a scan of every title.

The search engine's window (``SearchBackend.window``: the newest indexed stories with every word, the last one
as a word start from MIN_PREFIX letters on) gives the candidates, a bounded number of rows whatever the archive's
size; those whose title has every word are offered, newest first. So a title whose words are also common in
other stories' excerpts may be missed until more of it is typed. The index holds every present story, published
or not, so admins (the only ones the autocomplete answers) can explain an unpublished or held story too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from bot.search.backend import Ask, search_backend_of
from bot.search.sqlite_rank import DocFrequencies, tokens
from bot.search.words import MIN_PREFIX, query_words

# Candidates read from the index: enough for 25 titles when most matches have the words in their title.
TITLE_WINDOW = 100


def story_titles(conn: Connection, typed: str, limit: int = 25) -> list[tuple[int, str]]:
    """(id, title) of present stories matching what an admin typed; with nothing typed, the newest stories."""
    words = query_words(typed)
    b = search_backend_of(conn)
    # The hint keeps SQLite off ix_stories_listing: the newest rows come from the primary key, the others by id.
    present = f"{b.hint('s.present')} = {b.true}"
    if not words:
        newest = f"SELECT s.id, s.title FROM stories AS s WHERE {present} ORDER BY s.id DESC LIMIT :n"
        return [(row.id, row.title) for row in conn.execute(text(newest), {"n": limit})]
    start = len(words[-1]) >= MIN_PREFIX
    # A start too short for the index ("SECRET dr") is left out of the search and only ranks the titles.
    searched = words if start or len(words) == 1 else words[:-1]
    found = b.window(conn, Ask(tuple(searched), start), TITLE_WINDOW, DocFrequencies())
    if not found:
        return []
    params: dict[str, Any] = {}
    by_id = f"SELECT s.id, s.title FROM stories AS s WHERE {b.ids_in(params, [row[0] for row in found])} AND {present}"
    rows = conn.execute(text(by_id), params).all()
    # The index matched any column; a title without the typed words would be a confusing choice.
    titled = [row for row in rows if title_hits(row.title, words) == len(words)]
    return [(row.id, row.title) for row in sorted(titled, key=lambda row: -row.id)[:limit]]


def title_hits(title: str | None, words: Sequence[str]) -> int:
    """How many of the words the title has (the last one may start a title word), folded as the index folds them."""
    have = tokens(title or "")
    *whole, last = ("".join(tokens(w)) for w in words)
    return sum(w in have for w in whole) + any(h.startswith(last) for h in have)
