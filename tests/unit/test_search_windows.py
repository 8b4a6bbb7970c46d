"""The pages of one query are cut from one window of matches, read once while the index is unchanged; any
write to the stories makes the next search read the index again."""

from __future__ import annotations

import pytest

from bot.routes.planning import make_planner
from bot.search.service import SearchRequest, SearchService, page_request
from bot.search.windows import Rows, WindowCache
from bot.store import FileParsed, FileRemoved, Store
from tests.storyfiles import parsed_file

PLANNER = make_planner(lambda s: [], announce=False, on_unpublish="delete")


def apply(store: Store, *items: FileParsed | FileRemoved) -> None:
    store.apply(list(items), PLANNER)


def test_a_window_is_read_once_until_a_story_changes(store: Store) -> None:
    apply(store, parsed_file("a.md", 1, title="Grid battery"))
    cache, reads = WindowCache(), []

    def read() -> Rows:
        reads.append(1)
        return [(1, 0.0)]

    with store.engine.connect() as conn:
        assert cache.rows(conn, "grid", read) == cache.rows(conn, "grid", read) == [(1, 0.0)]
        assert len(reads) == 1
    apply(store, parsed_file("b.md", 2, title="Grid storage"))
    with store.engine.connect() as conn:
        cache.rows(conn, "grid", read)
    assert len(reads) == 2


def test_a_search_reads_the_index_version_once_for_all_its_windows(store: Store, statements: list[str]) -> None:
    # "grid batt": the exact words find nothing, so the search reads the word start's window too.
    apply(store, *(parsed_file(f"{n}.md", n, title=f"Grid battery {n}") for n in range(4)))
    statements.clear()
    page = SearchService(store, embargo=False).search(SearchRequest(query="grid batt"))
    assert page.total == 4
    assert sum("max(updated_at)" in s for s in statements) == 1, statements


def test_pages_follow_adds_edits_and_removals(store: Store) -> None:
    apply(store, *(parsed_file(f"{n}.md", n, title=f"Grid story {n}") for n in range(12)))
    svc = SearchService(store, embargo=False)
    first = svc.search(SearchRequest(query="grid"))
    assert first.total == 12 and first.pages == 2
    assert len(svc.search(page_request(first, 2)).hits) == 2
    apply(store, parsed_file("new.md", 40, title="Grid news"))
    assert svc.search(page_request(first, 2)).total == 13
    apply(store, parsed_file("new.md", 40, title="Solar news"), FileRemoved("0.md"))
    again = svc.search(page_request(first, 2))
    assert again.total == 11 and all("Grid" in h.story.title for h in again.hits)


def test_a_topic_start_whose_topics_outgrow_the_cap_is_counted_from_the_catalog(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.search.service

    monkeypatch.setattr(bot.search.service, "COUNT_AHEAD", 3)
    apply(store, *(parsed_file(f"{n}.md", n, topics=["Grid"] if n < 5 else ["Grids"]) for n in range(7)))
    svc = SearchService(store, embargo=False)
    page = svc.search(SearchRequest(topic="gri", limit=1))  # "gri", "grid" and "grids": no story is listed to count
    assert (page.total, page.capped, page.pages, len(page.hits)) == (3, True, 3, 1)
    small = svc.search(SearchRequest(topic="grids", limit=1))
    assert (small.total, small.capped) == (2, False)
    with store.engine.begin() as conn:  # the stories' tags alone would count 7: the catalog answered
        conn.exec_driver_sql("DELETE FROM story_topics")
    assert svc.search(SearchRequest(topic="gri", limit=1)).total == 3
