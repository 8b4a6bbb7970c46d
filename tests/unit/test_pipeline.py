"""The pipeline with a real SQLite store and a recording sink: posting, edits, deletions, restarts, failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, parse_config
from bot.pipeline import Pipeline
from bot.send.errors import DeliveryError
from bot.sharding import GuildDirectory
from bot.store import Store
from tests.storyfiles import write_story

NEWS, AI_ONLY = 11, 22


class RecordingSink:
    """Answers like Discord would; ``fail`` lets a test script errors for the next calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, Any]] = []
        self.messages: dict[int, tuple[int, dict[str, Any]]] = {}
        self.nonces: dict[str, int] = {}
        self.fail: list[DeliveryError] = []
        self.fail_channels: dict[int, DeliveryError] = {}
        self.gate: asyncio.Event | None = None
        self._next = 1000

    def _maybe_fail(self, channel_id: int) -> None:
        if channel_id in self.fail_channels:
            raise self.fail_channels[channel_id]
        if self.fail:
            raise self.fail.pop(0)

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if self.gate is not None:
            await self.gate.wait()
        self._maybe_fail(channel_id)
        self.calls.append(("post", channel_id, payload))
        if nonce in self.nonces:  # Discord's enforce_nonce: the same nonce returns the same message
            return self.nonces[nonce]
        self._next += 1
        self.nonces[nonce] = self._next
        self.messages[self._next] = (channel_id, payload)
        return self._next

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        self._maybe_fail(channel_id)
        self.calls.append(("edit", channel_id, payload))
        self.messages[message_id] = (channel_id, payload)

    async def delete(self, channel_id: int, message_id: int) -> None:
        self._maybe_fail(channel_id)
        self.calls.append(("delete", channel_id, message_id))
        self.messages.pop(message_id, None)

    def titles(self, channel_id: int) -> list[str]:
        return sorted(p["embeds"][0]["title"] for c, p in self.messages.values() if c == channel_id)

    def count(self, action: str) -> int:
        return sum(1 for call in self.calls if call[0] == action)


def make_config(folder: Path, db: Path, **articles: Any) -> Config:
    raw = {
        "articles": {"path": str(folder), "backfill": "all", **articles},
        "storage": {"url": f"sqlite:///{db}"},
        "channels": [{"id": NEWS, "topics": "*"}, {"id": AI_ONLY, "topics": ["ai"], "min_quality": 40}],
    }
    return parse_config(raw)


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "articles"
        self.folder.mkdir()
        self.db = tmp_path / "newsdesk.db"
        self.sink = RecordingSink()
        self.pipelines: list[Pipeline] = []
        self.articles: dict[str, Any] = {}

    async def start(self, **articles: Any) -> Pipeline:
        config = make_config(self.folder, self.db, **(articles or self.articles))
        pipeline = Pipeline(config, Store.open(config.storage_url))
        self.pipelines.append(pipeline)
        await pipeline.start(self.sink, watch=False)
        await pipeline.drain()
        return pipeline

    async def stop(self, pipeline: Pipeline) -> None:
        await pipeline.stop()
        pipeline.store.close()
        self.pipelines.remove(pipeline)

    async def settle(self, pipeline: Pipeline) -> None:
        await pipeline.rescan()
        await pipeline.drain()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    yield h
    for pipeline in list(h.pipelines):
        await h.stop(pipeline)


async def test_published_story_posts_once_with_embed_and_unpublished_never(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, title="Hello AI")
    write_story(harness.folder, "b.md", 2, published=False)
    p = await harness.start()
    assert harness.sink.titles(NEWS) == ["Hello AI"]
    assert harness.sink.titles(AI_ONLY) == ["Hello AI"]
    await harness.settle(p)
    assert harness.sink.count("post") == 2  # a rescan with nothing changed sends nothing
    _, payload = next(iter(harness.sink.messages.values()))
    assert payload["embeds"][0]["url"] == "https://news.example/2026/story-1"
    assert payload["allowed_mentions"]["parse"] == []
    assert "U0VDUkVU" not in json.dumps([c[2] for c in harness.sink.calls])


async def test_routing_by_topic_and_min_quality(harness: Harness) -> None:
    write_story(harness.folder, "ai-low.md", 1, title="AI low", quality=10)
    write_story(harness.folder, "ai-high.md", 2, title="AI high", topics=["ai", "Space"], quality=90)
    write_story(harness.folder, "space.md", 3, title="Space only", topics=["Space"], quality=90)
    await harness.start()
    assert harness.sink.titles(NEWS) == ["AI high", "AI low", "Space only"]
    assert harness.sink.titles(AI_ONLY) == ["AI high"]


async def test_flip_to_published_posts_and_edit_and_unpublish(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, title="Draft", published=False)
    p = await harness.start()
    assert harness.sink.messages == {}
    write_story(harness.folder, "a.md", 1, title="Draft", published=True)
    await harness.settle(p)
    assert harness.sink.titles(NEWS) == ["Draft"]
    write_story(harness.folder, "a.md", 1, title="Final title", published=True)
    await harness.settle(p)
    assert harness.sink.titles(NEWS) == ["Final title"]
    assert harness.sink.count("edit") == 2 and harness.sink.count("post") == 2
    write_story(harness.folder, "a.md", 1, title="Final title", published=False)
    await harness.settle(p)
    assert harness.sink.messages == {}
    # Published again: posted anew, with a fresh nonce so Discord does not hand back the deleted message.
    write_story(harness.folder, "a.md", 1, title="Back", published=True)
    await harness.settle(p)
    assert harness.sink.titles(NEWS) == ["Back"]


async def test_touch_without_change_sends_nothing(harness: Harness) -> None:
    path = write_story(harness.folder, "a.md", 1)
    p = await harness.start()
    calls = len(harness.sink.calls)
    path.touch()
    path.write_text(path.read_text())
    await harness.settle(p)
    assert len(harness.sink.calls) == calls


async def test_deleted_file_deletes_message_or_keeps_it(harness: Harness) -> None:
    path = write_story(harness.folder, "a.md", 1, topics=["Space"])
    p = await harness.start()
    assert len(harness.sink.messages) == 1
    path.unlink()
    await harness.settle(p)
    assert harness.sink.messages == {}
    await harness.stop(p)

    write_story(harness.folder, "b.md", 2, topics=["Space"])
    p = await harness.start(on_unpublish="keep")
    (harness.folder / "b.md").unlink()
    await harness.settle(p)
    assert len(harness.sink.messages) == 1 and harness.sink.count("delete") == 1


async def test_restart_never_reposts_and_catches_up(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, topics=["Space"])
    p = await harness.start()
    await harness.stop(p)
    write_story(harness.folder, "b.md", 2, topics=["Space"])  # appeared while the bot was down
    write_story(harness.folder, "a.md", 1, topics=["Space"])  # rewritten with the same content
    await harness.start()
    assert harness.sink.titles(NEWS) == ["Story number 1", "Story number 2"]
    assert harness.sink.count("post") == 2 and harness.sink.count("edit") == 0


@pytest.mark.parametrize(("backfill", "expected"), [("none", []), ("latest:2", [4, 5]), ("all", [1, 2, 3, 4, 5])])
async def test_first_run_backfill(harness: Harness, backfill: str, expected: list[int]) -> None:
    for n in range(1, 6):
        write_story(harness.folder, f"{n}.md", n, topics=["Space"])
    write_story(harness.folder, "draft.md", 9, topics=["Space"], published=False)
    p = await harness.start(backfill=backfill)
    assert harness.sink.titles(NEWS) == [f"Story number {n}" for n in expected]
    write_story(harness.folder, "new.md", 7, topics=["Space"])
    await harness.settle(p)
    assert "Story number 7" in harness.sink.titles(NEWS)  # later runs post what is new


async def test_same_story_in_two_files_and_rename(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, topics=["Space"])
    write_story(harness.folder, "sub/copy.txt", 1, topics=["Space"], webUrl="HTTPS://News.Example/2026/story-1/")
    p = await harness.start()
    assert harness.sink.count("post") == 1
    (harness.folder / "a.md").rename(harness.folder / "renamed.md")
    await harness.settle(p)
    (harness.folder / "sub/copy.txt").unlink()
    await harness.settle(p)
    assert harness.sink.count("post") == 1 and harness.sink.count("delete") == 0


async def test_half_written_file_is_retried_not_lost(harness: Harness) -> None:
    p = await harness.start()
    full = (harness.folder / "x.md").with_suffix(".md")
    text = write_story(harness.folder, "tmp.txt", 1, topics=["Space"]).read_text()
    (harness.folder / "tmp.txt").unlink()
    await harness.settle(p)
    full.write_text(text[: len(text) // 2])
    await harness.settle(p)
    assert harness.sink.messages == {}
    assert "front matter is not closed" in p.store.rejected_files()[0][1]
    full.write_text(text)
    await harness.settle(p)
    assert harness.sink.titles(NEWS) == ["Story number 1"]
    assert p.store.rejected_files() == []


async def test_retryable_errors_are_retried_and_nothing_is_lost(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, topics=["Space"])
    harness.sink.fail = [
        DeliveryError("Discord answered 500", retryable=True, status=500),
        DeliveryError("no answer within 30s", retryable=True),
    ]
    config = make_config(harness.folder, harness.db)
    p = Pipeline(config, Store.open(config.storage_url), retry_base=0.01)
    harness.pipelines.append(p)
    await p.start(harness.sink, watch=False)
    await p.drain()
    assert harness.sink.titles(NEWS) == ["Story number 1"]
    assert harness.sink.count("post") == 1


async def test_permanent_error_on_one_channel_does_not_block_others(harness: Harness) -> None:
    harness.sink.fail_channels[AI_ONLY] = DeliveryError("missing permissions", retryable=False, status=403)
    write_story(harness.folder, "a.md", 1)
    write_story(harness.folder, "b.md", 2)
    p = await harness.start()
    assert harness.sink.titles(NEWS) == ["Story number 1", "Story number 2"]
    states = p.store.ledger.states("https://news.example/2026/story-1")
    assert states[AI_ONLY][0] == "failed" and states[NEWS][0] == "sent"


async def test_change_during_inflight_post_is_edited_afterwards(harness: Harness) -> None:
    p = await harness.start()
    harness.sink.gate = asyncio.Event()
    write_story(harness.folder, "a.md", 1, topics=["Space"], title="First")
    await p.rescan()
    await asyncio.sleep(0.05)  # the post is now waiting on the gate
    write_story(harness.folder, "a.md", 1, topics=["Space"], title="Second")
    await p.rescan()
    harness.sink.gate.set()
    await p.drain()
    assert harness.sink.titles(NEWS) == ["Second"]
    assert harness.sink.count("post") == 1


async def test_crash_between_send_and_ledger_is_deduplicated_by_nonce(harness: Harness) -> None:
    write_story(harness.folder, "a.md", 1, topics=["Space"])
    config = make_config(harness.folder, harness.db)
    store = Store.open(config.storage_url)
    p = Pipeline(config, store)
    await p.db(p.initial_sync)
    pending = await p.db(store.ledger.pending)
    assert len(pending) == 1
    # Simulate the crash: Discord created the message, the ledger never heard back.
    delivery = store.ledger.read(pending[0])
    assert delivery is not None
    from bot.render.embeds import build_story_message
    from bot.send.queue import delivery_nonce

    await harness.sink.post(
        NEWS, build_story_message(delivery.story), nonce=delivery_nonce(delivery.story.key, NEWS, 0)
    )
    await p.stop()
    store.close()
    await harness.start()
    assert harness.sink.titles(NEWS) == ["Story number 1"]


async def test_posts_carry_the_follow_component_unless_personal_news_is_off(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    write_story(folder, "a.md", 1, topics=["Space"])

    async def posted(personal: dict[str, Any], db: str) -> list[dict[str, Any]]:
        config = parse_config(
            {
                "articles": {"path": str(folder), "backfill": "all"},
                "storage": {"url": f"sqlite:///{tmp_path / db}"},
                "channels": [{"id": NEWS, "topics": "*"}],
                "personal": personal,
            }
        )
        sink = RecordingSink()
        pipeline = Pipeline(config, Store.open(config.storage_url))
        try:
            await pipeline.start(sink, watch=False)
            await pipeline.drain()
        finally:
            await pipeline.stop()
            pipeline.store.close()
        return [c[2] for c in sink.calls if c[0] == "post"]

    (on,) = await posted({}, "on.db")
    assert on["components"][-1]["components"][0]["custom_id"] == "newsdesk:follow:t:Space"
    (off,) = await posted({"enabled": False}, "off.db")
    ids = [c.get("custom_id") for row in off.get("components", []) for c in row["components"]]
    assert not [i for i in ids if i and i.startswith("newsdesk:follow:")]


async def test_a_server_that_turned_following_off_gets_posts_without_the_follow_component(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    config = parse_config(
        {
            "articles": {"path": str(folder), "backfill": "all"},
            "storage": {"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
            "channels": [{"id": NEWS, "topics": "*", "guild": 900}, {"id": AI_ONLY, "topics": "*", "guild": 901}],
        }
    )
    store = Store.open(config.storage_url)
    store.follows.set_guild_enabled(900, False)  # /newsdesk personal enabled:false in server 900 only
    write_story(folder, "a.md", 1, topics=["Space"])
    sink = RecordingSink()
    # The directory main() fills from the config's guild: entries (bot/app.py known_guilds).
    pipeline = Pipeline(config, store, guilds=GuildDirectory({NEWS: 900, AI_ONLY: 901}))
    try:
        await pipeline.start(sink, watch=False)
        await pipeline.drain()
    finally:
        await pipeline.stop()
        store.close()
    follows = {
        c[1]: [b.get("custom_id") for row in c[2].get("components", []) for b in row["components"]]
        for c in sink.calls
        if c[0] == "post"
    }
    assert "newsdesk:follow:t:Space" not in follows[NEWS]
    assert "newsdesk:follow:t:Space" in follows[AI_ONLY]
