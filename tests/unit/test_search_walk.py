"""A long word start walks a bounded number of rows (issue 20.7): the measured slow shape, a long non-ASCII start
sharing its first letters with many words, stops after MAX_WALK rows with the newest matches found there."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.search.service import SearchRequest
from bot.store import Store
from tests.unit.test_search import add, parsed, service, titles


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'walk.db'}")
    yield s
    s.close()


def test_a_long_start_stops_after_max_walk_rows_keeping_the_newest_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Oldest first: an old match, twelve stories sharing only the start's first six letters, a newer match.
    add(
        store,
        parsed(1, title="Überwachungsstaat old"),
        *(parsed(n, title=f"Überwachen {n}") for n in range(2, 14)),
        parsed(14, title="Überwachungsstaat new"),
    )
    svc = service(store)
    assert titles(svc, query="überwachungs") == ["Überwachungsstaat new", "Überwachungsstaat old"]
    # The package's own name "sqlite" is SQLAlchemy's dialect: the backend module by its full name.
    monkeypatch.setattr(importlib.import_module("bot.search.sqlite"), "MAX_WALK", 5)
    svc = service(store)  # a fresh window cache
    # The walk reads the five newest rows with "uberwa...": the newest match is among them, the old one is not.
    assert titles(svc, query="überwachungs") == ["Überwachungsstaat new"]
    page = svc.search(SearchRequest(query="Überwachungsstaat"))
    assert len(page.hits) == 2, "whole words never walk: both are found"
