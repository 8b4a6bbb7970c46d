"""Word starts ("sens" finds sensors) after migration 0006, which gives SQLite's FTS5 index prefix indexes: found
at every length, still safe with hostile text, and an older database keeps its full-text rows when migrated."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.search.service import SearchRequest
from bot.store import Store, migrate
from tests.migrations import downgrade
from tests.unit.test_search import WORDLESS, add, parsed, service, titles

STORIES = [
    parsed(1, title="Satellites relay quantum sensors", excerpt="Orbit notes.", topics=["Space"]),
    parsed(2, title="Sensible budgets", excerpt="A satellite budget, in brief.", topics=["Money"]),
    parsed(3, title="Grid maintenance", excerpt="Nothing to see.", topics=["Energy"]),
    parsed(4, title="Satelloid toys", excerpt="Plastic moons.", topics=["Toys"]),  # "satell" but not "satelli"
]


def fts_sql(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT sql FROM sqlite_master WHERE name = 'stories_fts'").fetchone()[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sens", ["Sensible budgets", "Satellites relay quantum sensors"]),  # 4: the shortest start searched
        ("senso", ["Satellites relay quantum sensors"]),  # 5
        ("sensib", ["Sensible budgets"]),  # 6
        # 7: longer than any prefix index; a start in the title ranks first
        ("satelli", ["Satellites relay quantum sensors", "Sensible budgets"]),
        ("quantum sate", ["Satellites relay quantum sensors"]),  # whole words and a start
        ("budget sate", ["Sensible budgets"]),
        ("sen", []),  # shorter than MIN_PREFIX: not tried
        ("maint", ["Grid maintenance"]),
        ("satell", ["Satelloid toys", "Satellites relay quantum sensors", "Sensible budgets"]),
        ("MOONS satelloi", ["Satelloid toys"]),
    ],
)
def test_word_starts_of_every_length_are_found(store: Store, query: str, expected: list[str]) -> None:
    add(store, *STORIES)
    assert titles(service(store), query=query) == expected


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a", "title:x", "x" * 500, *WORDLESS])
def test_hostile_text_before_a_word_start_stays_inert(store: Store, query: str) -> None:
    add(store, *STORIES)
    expected = ["Satellites relay quantum sensors"] if query in WORDLESS else []
    assert titles(service(store), query=f"{query} senso") == expected


def test_a_0004_database_gains_prefix_indexes_with_its_full_text_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        add(store, *STORIES)
        downgrade(store, "0004")
    finally:
        store.close()
    assert "prefix" not in fts_sql(path)
    with closing(sqlite3.connect(path)) as conn:
        rows_before = conn.execute("SELECT rowid, * FROM stories_fts ORDER BY rowid").fetchall()
    assert len(rows_before) == len(STORIES)

    store = Store.open(f"sqlite:///{path}")
    try:
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head() >= "0006"
        assert "prefix = '4 5 6'" in fts_sql(path)
        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("SELECT rowid, * FROM stories_fts ORDER BY rowid").fetchall() == rows_before
            assert conn.execute("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')").rowcount == 1
        svc = service(store)
        assert titles(svc, query="senso") == ["Satellites relay quantum sensors"]
        assert titles(svc, query="satellite") == ["Sensible budgets"]
        add(store, parsed(4, title="Sensor fusion"))  # the rebuilt table takes new rows
        assert titles(svc, query="senso") == ["Sensor fusion", "Satellites relay quantum sensors"]
    finally:
        store.close()
    Store.open(f"sqlite:///{path}").close()  # opening again changes nothing
    assert "prefix = '4 5 6'" in fts_sql(path)


def test_a_0004_database_finds_word_starts_after_the_upgrade_on_both_backends(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        add(store, *STORIES)
        downgrade(store, "0004")
    finally:
        store.close()
    store = Store.open(store_url)  # upgraded again: PostgreSQL's word list is filled from the stories
    try:
        svc = service(store)
        assert titles(svc, query="senso") == ["Satellites relay quantum sensors"]
        assert titles(svc, query="orbit satell") == ["Satellites relay quantum sensors"]
    finally:
        store.close()


def test_a_start_beginning_more_words_than_are_spelled_out_is_still_found(store: Store) -> None:
    from bot.search.postgres import MAX_EXPANSION

    n = MAX_EXPANSION + 6
    add(store, *(parsed(i, title=f"Zeta{i:04d} sighted", excerpt="Plain.", topics=["Sky"]) for i in range(1, n + 1)))
    page = service(store).search(SearchRequest(query="zeta"))
    assert page.total == n
    add(store, parsed(n + 1, title="Zetaphone launched", excerpt="New.", topics=["Sky"]))  # a word seen first now
    assert titles(service(store), query="zetap") == ["Zetaphone launched"]


@pytest.mark.parametrize("every", [2, 9])  # 2: the walk goes on past the newest rows; 9: none there, GIN
def test_several_words_find_their_newest_matches_beyond_the_newest_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    import bot.search.postgres
    import bot.search.words

    monkeypatch.setattr(bot.search.postgres, "NEWEST_ROWS", 4)
    monkeypatch.setattr(bot.search.words, "QUERY_WINDOW", 3)
    add(store, *(parsed(n, title=f"Alpha {'beta' if n % every == 0 else 'gamma'} {n}") for n in range(1, 41)))
    page = service(store).search(SearchRequest(query="alpha beta"))
    newest = sorted((n for n in range(1, 41) if n % every == 0), reverse=True)[:3]
    assert {s.title for s in page.stories} == {f"Alpha beta {n}" for n in newest}
    assert titles(service(store), query="alpha zzzz") == [] == titles(service(store), query="zzzz")
