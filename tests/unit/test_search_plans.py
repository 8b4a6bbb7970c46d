"""The plan a PostgreSQL query search takes for its older matches (walk on, a range of id buckets from the GIN
index, or the whole index) is chosen from the density seen among the newest stories: every plan finds the same
ranked window, the newest matches, on both backends. Tiny constants force each plan on a small database."""

from __future__ import annotations

from typing import Any

import pytest

import bot.search.postgres as pg
import bot.search.words
from bot.search.service import SearchRequest
from bot.store import Store
from tests.unit.test_search import add, parsed, service

N = 60
# Each plan forced through the constants that choose it (PostgreSQL; SQLite has one plan and ignores them).
PLANS: dict[str, dict[str, Any]] = {
    "walk": {"WALK_ROWS": 10**9},
    "buckets": {"WALK_ROWS": 0, "BUCKET_MS": 0.0, "MARGIN": 1.0},
    "full": {"WALK_ROWS": 0, "BUCKET_MS": 10.0**9},
}
# What each plan's statement has that the others' do not.
MARKS = {"buckets": "CAST(", "full": "< %(top)s"}


def small(monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    # Four newest stories looked at first, windows of three, buckets of four ids (the expression is then
    # evaluated on each row instead of read from the index, with the same answers).
    monkeypatch.setattr(pg, "NEWEST_ROWS", 4)
    monkeypatch.setattr(pg, "BUCKET_BITS", 2)
    monkeypatch.setattr(pg, "INDEXED", pg.INDEXED.replace(">> 14", ">> 2"))
    monkeypatch.setattr(bot.search.words, "QUERY_WINDOW", 3)
    monkeypatch.setattr(bot.search.words, "PREFIX_WINDOW", 3)
    for name, value in PLANS[plan].items():
        monkeypatch.setattr(pg, name, value)


def stories(every: int) -> list[Any]:
    return [
        parsed(n, title=f"Alpha {'beta' if n % every == 0 else 'gamma'} {n}", topics=["Odd" if n % 2 else "Even"])
        for n in range(1, N + 1)
    ]


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("every", [2, 5, 6, 9])  # 2: dense among the newest; 5, 6: one there; 9: none there
def test_every_plan_finds_the_newest_matches(
    store: Store, statements: list[str], monkeypatch: pytest.MonkeyPatch, plan: str, every: int
) -> None:
    small(monkeypatch, plan)
    add(store, *stories(every))
    statements.clear()
    page = service(store).search(SearchRequest(query="alpha beta"))
    newest = sorted((n for n in range(1, N + 1) if n % every == 0), reverse=True)[:3]
    assert {s.title for s in page.stories} == {f"Alpha beta {n}" for n in newest}
    assert page.window == 3
    if store.backend.name == "postgresql" and plan in MARKS and every != 9:
        assert any(MARKS[plan] in s for s in statements), statements


@pytest.mark.parametrize("every", [3, 7])
def test_the_plans_rank_alike_with_filters_and_word_starts(
    store: Store, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    add(store, *stories(every))
    found: dict[str, list[list[str]]] = {}
    for plan in PLANS:
        with monkeypatch.context() as patched:
            small(patched, plan)
            svc = service(store)
            found[plan] = [
                [s.title for s in svc.search(request).stories]
                for request in (
                    SearchRequest(query="alpha beta"),
                    SearchRequest(query="gamma alph"),
                    SearchRequest(query="beta", topic="even"),
                )
            ]
    assert found["walk"] == found["buckets"] == found["full"]
    assert found["walk"][2] and all("beta" in t and int(t.split()[-1]) % 2 == 0 for t in found["walk"][2])


def test_the_index_holds_the_expression_searches_ask_for(store: Store) -> None:
    if store.backend.name != "postgresql":
        pytest.skip("SQLite's FTS5 index has no buckets")
    with store.engine.connect() as conn:
        definition = conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_stories_search_buckets'"
        ).scalar()
        conn.exec_driver_sql("SET enable_seqscan = off")  # a few rows: only to see that the index can serve
        plan = "\n".join(
            row[0]
            for row in conn.exec_driver_sql(
                "EXPLAIN SELECT f.story_id FROM stories_search AS f "
                f"WHERE {pg.INDEXED} @@ (to_tsquery('simple', 'alpha') && CAST('''_0''' AS tsquery))"
            )
        )
    assert definition is not None and f">> {pg.BUCKET_BITS}" in definition
    assert "ix_stories_search_buckets" in plan


def test_a_word_start_after_words_never_met_reads_the_whole_index_once(
    store: Store, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "full")
    add(store, *stories(9))
    statements.clear()
    page = service(store).search(SearchRequest(query="beta alph"))
    assert {s.title for s in page.stories} == {"Alpha beta 54", "Alpha beta 45", "Alpha beta 36"}
    if store.backend.name == "postgresql":
        assert sum(MARKS["full"] in s for s in statements) == 1, statements


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_a_range_that_finds_too_few_is_followed_by_one_sized_from_what_it_found(
    store: Store, statements: list[str], monkeypatch: pytest.MonkeyPatch, plan: str
) -> None:
    small(monkeypatch, plan)
    beta = {60, 56, 20, 10, 3}  # dense near the top, then sparse: the first range falls short
    add(store, *(parsed(n, title=f"Alpha {'beta' if n in beta else 'gamma'} {n}") for n in range(1, N + 1)))
    statements.clear()
    page = service(store).search(SearchRequest(query="alpha beta"))
    assert {s.title for s in page.stories} == {"Alpha beta 60", "Alpha beta 56", "Alpha beta 20"}
    if store.backend.name == "postgresql" and plan == "buckets":
        assert sum(MARKS[plan] in s for s in statements) >= 2, statements
