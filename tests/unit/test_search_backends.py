"""The same archive on SQLite and on PostgreSQL answers every /news request the same: topics, providers, dates,
paging, counts and the autocomplete catalog exactly; full text finds the same stories (word starts and the window
included). The order among full-text matches is each engine's relevance score (bm25, ts_rank_cd): the rules they
share (title above excerpt, newest first on a tie) are tested on both backends in test_search.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.search.words
from bot.routes.planning import make_planner
from bot.search.service import SearchRequest, SearchService
from bot.store import Store
from tests.pgserver import PostgresServer
from tests.storyfiles import parsed_file

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TOPICS = ["AI", "Space", "Climate", "Machine Learning", "Robotics"]
PROVIDERS = ["Orbital Ledger", "The Daily Byte", "Wire Desk"]
WORDS = ["quantum", "sensors", "launch", "satellite", "model", "robot", "storm", "carbon", "chips", "orbit"]
REQUESTS = [
    SearchRequest(),
    SearchRequest(limit=4, page=3),
    SearchRequest(topic="ai"),
    SearchRequest(topic="machine learning", limit=3, page=2),
    SearchRequest(topic="rob"),
    SearchRequest(provider="wire desk"),
    SearchRequest(provider="daily", topic="space"),
    SearchRequest(days=5),
    SearchRequest(days=5, topic="climate", limit=2, page=2),
    SearchRequest(query="quantum"),
    SearchRequest(query="satellite launch"),
    SearchRequest(query="orbital"),
    SearchRequest(query="robotics"),
    SearchRequest(query="sens"),
    SearchRequest(query="the storm", topic="climate"),
    SearchRequest(query="chips", provider="orbital ledger"),
    SearchRequest(query="model", limit=2),
    SearchRequest(query='"unbalanced NEAR( OR *'),
    SearchRequest(query="nothingmatches"),
]


def corpus() -> list[Any]:
    items = []
    for n in range(1, 41):
        words = [WORDS[(n * k) % len(WORDS)] for k in (1, 3, 7)]
        items.append(
            parsed_file(
                f"s{n}.md",
                n,
                title=f"{words[0].title()} {words[1]} report {n}",
                excerpt=f"Notes on {words[2]} and {words[0]}.",
                topics=[TOPICS[n % 5], TOPICS[(n * 2) % 5]] if n % 3 else [TOPICS[n % 5]],
                provider={"name": PROVIDERS[n % 3]},
                publishedDateTime=(NOW - timedelta(days=n % 11, hours=n)).isoformat().replace("+00:00", "Z"),
                published=n % 7 != 0,
            )
        )
    return items


@pytest.fixture
def stores(tmp_path: Path, postgres: PostgresServer) -> Iterator[list[Store]]:
    opened = [Store.open(f"sqlite:///{tmp_path / 'a.db'}"), Store.open(postgres.create_database())]
    for store in opened:
        store.apply(corpus(), make_planner(lambda s: [], announce=False, on_unpublish="delete"))
    yield opened
    for store in opened:
        store.close()


def answers(store: Store) -> list[Any]:
    svc = SearchService(store, clock=NOW.timestamp, refresh_every=0)
    found: list[Any] = [svc.topic_suggestions(""), svc.topic_suggestions("ma"), svc.provider_suggestions("")]
    for request in REQUESTS:
        page = svc.search(request)
        ids = [h.id for h in page.hits]
        if request.query and page.total > request.limit:
            ids = []  # which stories fill a first page depends on the engine's scores; the count must not
        found.append(
            (
                request,
                sorted(ids) if request.query else ids,
                page.total,
                page.capped,
                page.window,
                page.page,
                page.pages,
            )
        )
    return found


def test_every_request_gets_the_same_answer_on_sqlite_and_postgres(
    stores: list[Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite, postgres = (answers(s) for s in stores)
    assert sqlite == postgres
    # The window cuts a broad query the same way on both.
    monkeypatch.setattr(bot.search.words, "QUERY_WINDOW", 5)
    sqlite, postgres = (answers(s) for s in stores)
    assert sqlite == postgres
    assert any(a[4] == 5 for a in sqlite[3:]), "some query must have been cut by the window"
