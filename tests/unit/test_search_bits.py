"""The bitmaps of common words (``bitmaps``, ``postgres_bits``, ``sqlite_bits``, migration 0010), on both
backends: word counts and bits kept exact as stories come, change and go, a word's older stories filled in when
it becomes common, and query searches of common words answered from the bits with the stories the full-text
index finds. A low ``DENSE_DOCS`` makes words common."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import inspect, text

import bot.search.words
from bot.search import bitmaps, postgres_bits, sqlite_bits
from bot.search.service import SearchRequest
from bot.search.sqlite_rank import row_terms
from bot.store import FileRemoved, Store, migrate
from tests.migrations import downgrade
from tests.unit.test_search import add, parsed, service


@pytest.fixture
def common_at_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bitmaps, "DENSE_DOCS", 3)


def indexed(store: Store) -> dict[str, set[int]]:
    """word -> the stories the full-text index holds it for (the truth)."""
    found: dict[str, set[int]] = defaultdict(set)
    if store.backend.name == "postgresql":
        sql = "SELECT story_id, tsvector_to_array(tsv) FROM stories_search"
    else:
        sql = "SELECT rowid, title, excerpt, provider, topics FROM stories_fts"
    with store.engine.connect() as conn:
        for story_id, *columns in conn.execute(text(sql)):
            for word in columns[0] if store.backend.name == "postgresql" else row_terms(columns):
                found[word].add(story_id)
    return dict(found)


def kept(store: Store) -> tuple[dict[str, int], set[str], dict[str, set[int]]]:
    """(word -> docs, the dense words, word -> the stories whose bit is set)."""
    postgres = store.backend.name == "postgresql"
    with store.engine.connect() as conn:
        lexemes = conn.execute(
            text(
                "SELECT word, docs, dense FROM search_lexemes"
                if postgres
                else "SELECT term, docs, dense FROM search_terms"
            )
        ).all()
        bits_sql = (
            "SELECT word, bucket, CAST(bits AS text) FROM search_bits"
            if postgres
            else "SELECT term, bucket, bits FROM search_bits"
        )
        rows = conn.execute(text(bits_sql)).all()
    ids: dict[str, set[int]] = defaultdict(set)
    for word, bucket, row in rows:
        spelled = row if postgres else "".join(f"{byte:08b}" for byte in row)
        ids[word] |= {(bucket << bitmaps.BUCKET_SHIFT) + i for i, bit in enumerate(spelled) if bit == "1"}
    return {w: d for w, d, _ in lexemes}, {w for w, _, dense in lexemes if dense}, {w: s for w, s in ids.items() if s}


def assert_exact(store: Store, dense_words: set[str]) -> None:
    truth = indexed(store)
    docs, dense, ids = kept(store)
    assert {w: n for w, n in docs.items() if n} == {w: len(s) for w, s in truth.items()}
    assert dense == dense_words
    assert ids == {w: truth[w] for w in dense if w in truth}


def test_counts_and_bits_follow_the_stories_as_they_come_change_and_go(store: Store, common_at_3: None) -> None:
    add(store, *(parsed(n, title=f"Alpha {'beta' if n % 2 else 'gamma'} story", excerpt="x") for n in range(1, 7)))
    # alpha, story, x: 6 stories each; beta, gamma: 3 each (all dense); the other words of each story: fewer.
    dense = {"alpha", "story", "beta", "gamma", "x"} | {w for w, s in indexed(store).items() if len(s) >= 3}
    assert_exact(store, dense)
    add(store, parsed(1, title="Alpha delta story", excerpt="x"))  # a story changed: beta to delta
    assert_exact(store, dense)
    add(store, FileRemoved("s2.md"), FileRemoved("s4.md"))
    # gamma is down to one story: still dense (a word never stops being), its bits exact.
    assert_exact(store, dense)


def test_a_word_that_becomes_common_gets_the_bits_of_its_older_stories(store: Store, common_at_3: None) -> None:
    add(store, parsed(1, title="Rare omega"), parsed(2, title="Other omega"))
    assert "omega" not in kept(store)[1]
    add(store, parsed(3, title="Third omega"))
    docs, dense, ids = kept(store)
    assert docs["omega"] == 3 and "omega" in dense
    assert ids["omega"] == indexed(store)["omega"] and len(ids["omega"]) == 3


def test_the_newest_matches_come_newest_first_across_buckets(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bitmaps, "DENSE_DOCS", 1)
    bits: Any = postgres_bits if store.backend.name == "postgresql" else sqlite_bits
    far = [1, 8191, 8192, 9000, 70_000, 600_000, 600_001]  # buckets 0, 0, 1, 1, 8, 73, 73
    words = {1: "alpha beta", 8191: "alpha", 8192: "beta", 9000: "alpha beta", 70_000: "beta", 600_000: "alpha"}
    words[600_001] = "alpha beta"
    with store.engine.begin() as conn:
        store.search_backend.add(conn, [(i, words[i], "", "", "") for i in far], store.backend.bulk_insert)
    with store.engine.connect() as conn:
        assert bits.newest(conn, [["alpha"]], 10) == [600_001, 600_000, 9000, 8191, 1]
        assert bits.newest(conn, [["alpha"]], 2) == [600_001, 600_000]
        assert bits.newest(conn, [["alpha"], ["beta"]], 10) == [600_001, 9000, 1]
        assert bits.newest(conn, [["alpha", "beta"]], 4) == [600_001, 600_000, 70_000, 9000]
        assert bits.newest(conn, [["alpha"], ["gamma"]], 10) == []


KINDS = ("betamax", "gammaray", "zetaflux")


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("alpha betamax", ["alpha", "betamax"]),
        ("betamax alpha story", ["alpha", "betamax", "story"]),
        ("alpha betam", ["alpha", "betamax"]),  # the last word as a word start
        ("story gamma", ["story", "gammaray"]),
    ],
)
def test_searches_of_common_words_read_the_bits_and_find_the_newest_matches(
    store: Store,
    common_at_3: None,
    monkeypatch: pytest.MonkeyPatch,
    statements: list[str],
    query: str,
    wanted: list[str],
) -> None:
    monkeypatch.setattr(bot.search.words, "QUERY_WINDOW", 4)
    monkeypatch.setattr(bot.search.words, "PREFIX_WINDOW", 4)
    add(store, *(parsed(n, title=f"Alpha {KINDS[n % 3]} story {n}") for n in range(1, 31)))
    statements.clear()
    page = service(store).search(SearchRequest(query=query))
    newest = [n for n in range(30, 0, -1) if set(wanted) <= {"alpha", KINDS[n % 3], "story"}][:4]
    assert len(newest) == 4 and {int(s.title.split()[-1]) for s in page.stories} == set(newest)
    assert page.window == 4
    assert any("search_bits" in s for s in statements)
    # Neither a walk of the full-text index (GIN's expression; FTS5's MATCH but over the window's ids, to score
    # it) nor the walk among the newest stories.
    walks = [
        s for s in statements if "array_to_tsvector" in s or "LIMIT 3000" in s or ("MATCH" in s and "BETWEEN" not in s)
    ]
    assert not walks, walks


def test_a_rare_word_is_still_searched_with_gin(store: Store, common_at_3: None, statements: list[str]) -> None:
    add(store, *(parsed(n, title=f"Alpha story {n}" + (" omega" if n == 4 else "")) for n in range(1, 9)))
    statements.clear()
    assert [s.title for s in service(store).search(SearchRequest(query="alpha omega")).stories] == [
        "Alpha story 4 omega"
    ]
    assert not any("search_bits" in s for s in statements)


def test_the_migration_fills_counts_and_bits_from_the_stories_already_indexed(store: Store, common_at_3: None) -> None:
    add(store, *(parsed(n, title=f"Alpha {'beta' if n % 2 else 'gamma'} {n}") for n in range(1, 9)))
    before = kept(store)
    downgrade(store, "0009")
    with store.engine.connect() as conn:
        assert "search_bits" not in inspect(conn).get_table_names()
    migrate.upgrade(store.engine)
    assert kept(store) == before


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("word", ["plain", "it's", "a\\b", "''", "x'\\'y"])
def test_a_lexeme_is_quoted_so_that_it_matches_itself_only(store: Store, word: str) -> None:
    with store.engine.connect() as conn:
        query = postgres_bits.lexeme(word)
        assert conn.execute(
            text("SELECT array_to_tsvector(ARRAY[:w]) @@ CAST(:q AS tsquery)"), {"w": word, "q": query}
        ).scalar()
        assert not conn.execute(
            text("SELECT array_to_tsvector(ARRAY['other']) @@ CAST(:q AS tsquery)"), {"q": query}
        ).scalar()
