"""SQLite keeps each word's number of indexed stories in ``search_terms`` (bm25's IDF reads it instead of FTS5's
posting lists): it must equal FTS5's own count through adds, edits, removals, and the migration that fills it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.routes.planning import make_planner
from bot.search.service import SearchRequest, SearchService
from bot.store import FileParsed, FileRemoved, Store
from tests.migrations import downgrade
from tests.storyfiles import parsed_file

PLANNER = make_planner(lambda s: [], announce=False, on_unpublish="delete")


def apply(store: Store, *items: FileParsed) -> None:
    store.apply(list(items), PLANNER)


def counts(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(kept counts, FTS5's counts) of every word with a story."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, stories_fts, 'row')")
        fts = dict(conn.execute("SELECT term, doc FROM temp.v").fetchall())
        kept = dict(conn.execute("SELECT term, docs FROM search_terms WHERE docs > 0").fetchall())
    return kept, fts


def test_kept_counts_follow_adds_edits_and_removals(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        apply(
            store,
            parsed_file("a.md", 1, title="Battery grid battery", excerpt="Café news, naïve résumé."),
            parsed_file("b.md", 2, title="Grid storage", topics=["Energy", "Grid"]),
            parsed_file("c.md", 3, title="Quantum sensors", provider={"name": "Sensor Weekly"}),
        )
        kept, fts = counts(path)
        assert kept == fts and kept["grid"] == 2 and kept["battery"] == 1 and kept["cafe"] == 1
        apply(store, parsed_file("b.md", 2, title="Solar storage", topics=["Energy"]))  # an edit
        kept, fts = counts(path)
        assert kept == fts and kept["grid"] == 1 and kept["solar"] == 1
        store.apply([FileRemoved("a.md")], PLANNER)
        kept, fts = counts(path)
        assert kept == fts and "grid" not in kept and "battery" not in kept
    finally:
        store.close()


def test_a_0006_database_gets_its_counts_from_the_full_text_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        apply(store, *(parsed_file(f"{n}.md", n, title=f"Grid story {n % 3}") for n in range(6)))
        downgrade(store, "0006")
    finally:
        store.close()
    store = Store.open(f"sqlite:///{path}")
    try:
        kept, fts = counts(path)
        assert kept == fts and kept["grid"] == 6 and kept["0"] == 2
    finally:
        store.close()


def test_words_that_never_meet_find_nothing_and_a_word_start_still_widens(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    try:
        apply(
            store,
            parsed_file("a.md", 1, title="Battery prices", excerpt="Cheap cells.", topics=["Energy"]),
            parsed_file("b.md", 2, title="Clinic opens", excerpt="New sensors installed.", topics=["Health"]),
        )
        svc = SearchService(store)
        assert svc.search(SearchRequest(query="battery clinic")).total == 0
        assert svc.search(SearchRequest(query="battery clinic sens")).total == 0
        assert [h.story.title for h in svc.search(SearchRequest(query="clinic sens")).hits] == ["Clinic opens"]
        assert [h.story.title for h in svc.search(SearchRequest(query="clinic sensors")).hits] == ["Clinic opens"]
    finally:
        store.close()
