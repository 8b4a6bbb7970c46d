"""/news pages by seek (keyset) on both backends: walking next from the first page, or previous from the last,
shows exactly the plain ordered list (dated stories newest first, ties by id, then undated ones), page for page,
as paging by number does, and without an OFFSET statement."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.routes.planning import make_planner
from bot.search import listing
from bot.search.filters import StoryFilter
from bot.search.service import SearchPage, SearchRequest, SearchService, page_request
from bot.store import Store
from tests.storyfiles import parsed_file

TOPICS = ["AI", "Space", "Climate"]
PROVIDERS = ["Orbital Ledger", "Wire Desk"]


@pytest.fixture
def archive(store: Store) -> Iterator[Store]:
    items = []
    for n in range(1, 72):
        # Every fifth story undated, and many sharing a date, so ties and both parts of the order are crossed.
        when = None if n % 5 == 0 else f"2026-11-{1 + n % 7:02d}T{n % 3:02d}:00:00Z"
        items.append(
            parsed_file(
                f"{n}.md",
                n,
                topics=[TOPICS[n % 3]] + (["AI"] if n % 4 == 0 else []),
                provider={"name": PROVIDERS[n % 2], "domain": "x.example"},
                publishedDateTime=when,
                published=n % 11 != 0,
            )
        )
    store.apply(items, make_planner(lambda s: [], announce=False, on_unpublish="delete"))
    yield store


def ordered(store: Store, request: SearchRequest) -> list[int]:
    """The plain list: every matching published story, in page order, from Python rather than SQL."""
    found = []
    with store.searching() as q:
        ids = [row[1] for row in q.page_rows(q.plan(StoryFilter()), 10_000)]
        stories = q.load_published(ids)
    for story_id, story in stories.items():
        if request.topic and request.topic.casefold() not in [t.casefold() for t in story.topics]:
            continue
        if request.provider and (story.provider is None or story.provider.name.casefold() != request.provider):
            continue
        stamp = story.published_at.timestamp() if story.published_at else None
        found.append((stamp is None, -(stamp or 0.0), -story_id, story_id))
    return [row[-1] for row in sorted(found)]


def ids(page: SearchPage) -> list[int]:
    return [hit.id for hit in page.hits]


REQUESTS = [
    SearchRequest(limit=4),
    SearchRequest(limit=7, topic="ai"),
    SearchRequest(limit=3, provider="wire desk"),
    SearchRequest(limit=2, topic="space", provider="orbital ledger"),
]


@pytest.mark.parametrize("big_topics", [False, True], ids=["small-topic-plan", "date-index-plan"])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.topic}-{r.provider}-{r.limit}")
def test_seek_pages_equal_the_ordered_list(
    archive: Store, request_: SearchRequest, big_topics: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if big_topics:
        monkeypatch.setattr(listing, "SMALL_TOPIC", 2)  # a topic past it is walked along the date index instead
    service = SearchService(archive, embargo=False)
    expected = ordered(archive, request_)
    per = request_.limit
    chunks = [expected[i : i + per] for i in range(0, len(expected), per)]
    assert len(chunks) >= 4
    by_number = [ids(service.search(replace(request_, page=n))) for n in range(1, len(chunks) + 1)]
    assert by_number == chunks

    def no_offset(*args: object, **kwargs: object) -> list[listing.SortKey]:
        raise AssertionError("a button's page was read with OFFSET")

    monkeypatch.setattr(listing, "_offset_rows", no_offset)
    page = service.search(request_)
    forward = [ids(page)]
    while page.page < page.pages:
        page = service.search(page_request(page, page.page + 1))
        assert page.request.seek is not None
        forward.append(ids(page))
    assert forward == chunks
    page = service.search(page_request(service.search(request_), len(chunks)))  # the last-page button
    backward = [ids(page)]
    while page.page > 1:
        page = service.search(page_request(page, page.page - 1))
        backward.append(ids(page))
    assert backward[::-1] == chunks
    assert ids(service.search(page_request(page, page.page))) == chunks[0]  # "Back to results": the same page
