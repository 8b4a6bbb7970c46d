"""SQLite's ranking window is scored without FTS5's ``rank`` (whose IDF pass reads every match): the scores must
be FTS5's bm25 exactly, and the results the same."""

from __future__ import annotations

from pathlib import Path

from bot.routes.planning import make_planner
from bot.search.sqlite import RANK_WEIGHTS
from bot.search.sqlite_rank import DocFrequencies, window
from bot.store import Store
from tests.storyfiles import parsed_file

TEXTS = [
    ("Battery prices fall", "A battery, another battery and a grid.", ["Energy"]),
    ("Grid news", "Nothing about cells here; the grid is stable.", ["Energy", "Grid"]),
    ("Café battery", "Résumé of the BATTERY market — naïve coöperation.", ["Économie"]),
    ("Battery battery battery", "Short.", ["AI"]),
    ("Long story", " ".join(["word"] * 300) + " battery grid", ["Science"]),
]


def by_score(rows: list[tuple[int, float]]) -> list[list[int]]:
    """Row ids grouped by equal score, best first: the ranking order, ties included."""
    groups: dict[float, list[int]] = {}
    for rowid, score in rows:
        groups.setdefault(score, []).append(rowid)
    return [sorted(groups[score]) for score in sorted(groups)]


def test_window_scores_are_fts5_bm25(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        items = [
            parsed_file(f"{n}.md", n, title=title, excerpt=excerpt, topics=topics, provider={"name": f"Grid {n}"})
            for n, (title, excerpt, topics) in enumerate(TEXTS * 6)
        ]
        store.apply(items, make_planner(lambda s: [], announce=False, on_unpublish="delete"))
        freq = DocFrequencies()
        with store.engine.connect() as conn:
            for words in (["battery"], ["grid"], ["battery", "grid"], ["Battery", "battery"], ["cafe"], ["the"]):
                match = " ".join(f'"{w}"' for w in words)
                expected = conn.exec_driver_sql(
                    "SELECT rowid, rank FROM stories_fts WHERE stories_fts MATCH ? AND rank MATCH ? "
                    "ORDER BY rowid DESC LIMIT 20",
                    (match, RANK_WEIGHTS),
                ).all()
                assert expected, words
                for _ in range(2):  # counted, then from the kept counts
                    found = window(conn, match, words, 20, freq)
                    if len({w.lower() for w in words}) > 1:
                        assert found == [tuple(row) for row in expected], words
                    # One word: the scores are rank's divided by the word's IDF, so the same order and ties.
                    assert by_score(found) == by_score([tuple(row) for row in expected]), words
                    assert [row[0] for row in found] == [row[0] for row in expected]
    finally:
        store.close()
