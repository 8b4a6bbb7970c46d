"""Embargo through the pipeline: a real store, the release timer and a recording sink that notes when it posted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.storyfiles import write_story
from tests.unit.test_pipeline import AI_ONLY, NEWS, Harness, RecordingSink


class TimedSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.posted_at: list[float] = []

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        self.posted_at.append(time.time())
        return await super().post(channel_id, payload, nonce=nonce)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    h.sink = TimedSink()
    yield h
    for pipeline in list(h.pipelines):
        await h.stop(pipeline)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def ahead(seconds: float) -> float:
    """A release time ``seconds`` from now, on a whole second (story dates have no fractions)."""
    return float(int(time.time() + seconds) + 1)


def posted_at(harness: Harness) -> list[float]:
    assert isinstance(harness.sink, TimedSink)
    return harness.sink.posted_at


async def posts(sink: RecordingSink, n: int, wait: float = 15.0) -> None:
    """Wait (generously) until the sink has made ``n`` posts."""
    deadline = time.monotonic() + wait
    while sink.count("post") < n and time.monotonic() < deadline:  # noqa: ASYNC110  polling a test double
        await asyncio.sleep(0.05)
    assert sink.count("post") == n


async def test_a_future_story_is_held_then_posted_once_at_its_time(harness: Harness) -> None:
    release = ahead(1)
    write_story(harness.folder, "past.md", 1, title="Out already")
    write_story(harness.folder, "held.md", 2, title="Held", publishedDateTime=iso(release))
    p = await harness.start()
    assert harness.sink.titles(NEWS) == ["Out already"]
    [held] = await p.db(p.store.ledger.held, time.time())
    assert (held.title, held.release_at, held.channels) == ("Held", release, (NEWS, AI_ONLY))
    await posts(harness.sink, 4)
    assert all(at >= release for at in posted_at(harness)[2:])
    assert harness.sink.titles(NEWS) == ["Held", "Out already"]
    await harness.settle(p)
    assert harness.sink.count("post") == 4


async def test_a_story_queued_early_stays_pending_until_its_release(harness: Harness) -> None:
    write_story(harness.folder, "held.md", 1, title="Held", topics=["Space"], publishedDateTime=iso(ahead(3600)))
    p = await harness.start(backfill="none")
    await p.post_to_channel(NEWS, [1])  # e.g. /feed test: queued at once, but the queue checks the date
    await p.drain()
    assert harness.sink.calls == []
    assert [h.title for h in await p.db(p.store.ledger.held, time.time())] == ["Held"]


async def test_a_restart_while_held_posts_once_at_the_time(harness: Harness) -> None:
    release = ahead(1.5)
    write_story(harness.folder, "held.md", 1, title="Held", topics=["Space"], publishedDateTime=iso(release))
    p = await harness.start()
    await harness.stop(p)
    assert harness.sink.calls == []
    await harness.start()
    await posts(harness.sink, 1)
    assert posted_at(harness)[0] >= release


async def test_an_edit_to_the_date_moves_the_release(harness: Harness) -> None:
    first = ahead(1)
    write_story(harness.folder, "held.md", 1, title="Held", topics=["Space"], publishedDateTime=iso(first))
    p = await harness.start()
    later = first + 2
    write_story(harness.folder, "held.md", 1, title="Held", topics=["Space"], publishedDateTime=iso(later))
    await harness.settle(p)
    await posts(harness.sink, 1)
    assert posted_at(harness)[0] >= later


@pytest.mark.parametrize(("mode", "state"), [("delete", "deleted"), ("keep", "cancelled")])
async def test_unpublishing_a_held_story_cancels_it_without_calling_discord(
    harness: Harness, mode: str, state: str
) -> None:
    when = iso(ahead(3600))
    write_story(harness.folder, "held.md", 1, topics=["Space"], publishedDateTime=when)
    p = await harness.start(on_unpublish=mode)
    write_story(harness.folder, "held.md", 1, topics=["Space"], publishedDateTime=when, published=False)
    await harness.settle(p)
    delivery = await p.db(p.store.ledger.read, (1, NEWS))
    assert delivery is not None
    key = delivery.story.key
    assert await p.db(p.store.ledger.states, key) == {NEWS: (state, None)}
    assert await p.db(p.store.ledger.next_release, time.time()) is None
    assert harness.sink.calls == []


async def test_embargo_false_posts_a_future_story_at_once(harness: Harness) -> None:
    write_story(harness.folder, "held.md", 1, title="Tomorrow", topics=["Space"], publishedDateTime=iso(ahead(86400)))
    p = await harness.start(embargo=False)
    assert harness.sink.titles(NEWS) == ["Tomorrow"]
    assert await p.db(p.store.ledger.held, time.time()) == []


async def test_backfill_counts_only_released_stories_and_plans_the_held_ones(harness: Harness) -> None:
    for n in range(1, 4):
        write_story(harness.folder, f"{n}.md", n, topics=["Space"])
    write_story(harness.folder, "held.md", 9, title="Held", topics=["Space"], publishedDateTime=iso(ahead(3600)))
    p = await harness.start(backfill="latest:2")
    assert harness.sink.titles(NEWS) == ["Story number 2", "Story number 3"]
    assert [h.title for h in await p.db(p.store.ledger.held, time.time())] == ["Held"]


async def test_a_posted_story_whose_date_moves_ahead_is_edited_not_retracted(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, topics=["Space"])
    p = await harness.start()
    write_story(harness.folder, "a.md", 1, title="Moved", topics=["Space"], publishedDateTime=iso(ahead(3600)))
    await harness.settle(p)
    assert harness.sink.titles(NEWS) == ["Moved"]
    assert (harness.sink.count("post"), harness.sink.count("edit"), harness.sink.count("delete")) == (1, 1, 0)
