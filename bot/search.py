"""Searching the archive of published stories."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.store import Store
from bot.store.search import StoryFilter, run_search
from bot.story import Story


@dataclass(frozen=True, slots=True)
class SearchRequest:
    topic: str | None = None
    query: str | None = None
    provider: str | None = None
    days: int | None = None
    limit: int = 10
    offset: int = 0


def search_stories(store: Store, request: SearchRequest) -> list[Story]:
    since = time.time() - request.days * 86400 if request.days else None
    flt = StoryFilter(topic=request.topic, query=request.query, provider=request.provider, since=since)
    with store.engine.connect() as conn:
        return run_search(conn, flt, request.limit, request.offset)
