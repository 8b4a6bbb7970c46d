"""Editorial workflows: a story is new to a route once (the archive rule), regenerations change nothing, renames
and duplicates keep one story. A real SQLite store and the recording sink of ``test_pipeline``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from bot.config import parse_config
from bot.pipeline import Pipeline
from bot.render.status import render_text
from bot.routes.route_rules import ARCHIVE_REASON
from bot.status import status_report
from bot.store import Store
from bot.stories.file_reader import read_file
from bot.stories.scan_items import FileTouched
from tests.storyfiles import story_fields, write_story
from tests.unit.test_pipeline import AI_ONLY, NEWS, RecordingSink

LATE = 33  # a channel added to the config after the folder filled


class Desk:
    """Runs the pipeline (no watcher) over a folder; ``start`` may change the config's channels between runs."""

    def __init__(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "articles"
        self.folder.mkdir()
        self.db = tmp_path / "newsdesk.db"
        self.sink = RecordingSink()
        self.pipeline: Pipeline | None = None

    async def start(self, *, late_route: bool = False, backfill: str = "none") -> Pipeline:
        await self.stop()
        channels: list[dict[str, Any]] = [{"id": NEWS, "topics": "*"}, {"id": AI_ONLY, "topics": ["ai"]}]
        if late_route:
            channels.append({"id": LATE, "topics": "*"})
        config = parse_config(
            {
                "articles": {"path": str(self.folder), "backfill": backfill},
                "storage": {"url": f"sqlite:///{self.db}"},
                "channels": channels,
            }
        )
        self.pipeline = Pipeline(config, Store.open(config.storage_url))
        await self.pipeline.start(self.sink, watch=False)
        await self.pipeline.drain()
        return self.pipeline

    async def settle(self) -> None:
        assert self.pipeline is not None
        await self.pipeline.rescan()
        await self.pipeline.drain()

    async def stop(self) -> None:
        if self.pipeline is not None:
            await self.pipeline.stop()
            self.pipeline.store.close()
            self.pipeline = None

    def posts(self, channel: int | None = None) -> int:
        return sum(1 for kind, c, _ in self.sink.calls if kind == "post" and channel in (None, c))

    def story_column(self, n: int, column: str) -> Any:
        assert self.pipeline is not None
        with self.pipeline.store.engine.connect() as conn:
            return conn.scalar(
                text(f"SELECT {column} FROM stories WHERE key = :k"), {"k": f"https://news.example/2026/story-{n}"}
            )


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    d = Desk(tmp_path)
    yield d
    await d.stop()


async def test_typo_fixes_to_archive_stories_post_nothing(desk: Desk) -> None:
    for n in range(1, 6):
        write_story(desk.folder, f"{n}.md", n, topics=["Space"])
    await desk.start()
    for n in range(1, 4):
        write_story(desk.folder, f"{n}.md", n, topics=["Space"], excerpt=f"Fixed a typo in story {n}.")
    await desk.settle()
    assert desk.sink.calls == []
    assert desk.story_column(1, "excerpt") == "Fixed a typo in story 1."  # indexed all the same


async def test_an_archive_story_that_gains_a_topic_is_not_posted_but_a_live_one_is(desk: Desk) -> None:
    write_story(desk.folder, "old.md", 1, topics=["Space"])
    await desk.start()
    write_story(desk.folder, "new.md", 2, topics=["Space"])
    await desk.settle()
    assert (desk.posts(NEWS), desk.posts(AI_ONLY)) == (1, 0)  # the new story, to the route that takes it
    write_story(desk.folder, "old.md", 1, topics=["Space", "AI"])
    write_story(desk.folder, "new.md", 2, topics=["Space", "AI"])
    await desk.settle()
    assert desk.sink.titles(AI_ONLY) == ["Story number 2"]  # the live story follows routing; the archive does not
    assert desk.posts() == 2 and desk.sink.count("edit") == 1  # and the posted one is edited in place


async def test_a_story_published_later_is_new_and_an_archive_story_flipped_back_on_is_posted(desk: Desk) -> None:
    write_story(desk.folder, "draft.md", 1, topics=["Space"], published=False)
    write_story(desk.folder, "old.md", 2, topics=["Space"])
    await desk.start()
    write_story(desk.folder, "draft.md", 1, topics=["Space"])
    await desk.settle()
    assert desk.sink.titles(NEWS) == ["Story number 1"]  # post on flip
    write_story(desk.folder, "old.md", 2, topics=["Space"], published=False)
    await desk.settle()
    write_story(desk.folder, "old.md", 2, topics=["Space"])
    await desk.settle()
    # Republishing is an editor's decision: the story becomes live again, so it is new.
    assert desk.sink.titles(NEWS) == ["Story number 1", "Story number 2"]


async def test_a_config_route_added_later_gets_only_what_goes_live_after_it_began(desk: Desk) -> None:
    write_story(desk.folder, "old.md", 1, topics=["Space"])
    await desk.start()
    write_story(desk.folder, "live.md", 2, topics=["Space"])
    await desk.settle()
    await desk.start(late_route=True)
    write_story(desk.folder, "live.md", 2, topics=["Space"], excerpt="An edit after the route was added.")
    write_story(desk.folder, "old.md", 1, topics=["Space"], excerpt="An edit to the archive.")
    write_story(desk.folder, "newest.md", 3, topics=["Space"])
    await desk.settle()
    assert desk.sink.titles(LATE) == ["Story number 3"]
    assert desk.sink.titles(NEWS) == ["Story number 2", "Story number 3"]
    assert desk.pipeline is not None
    began = desk.pipeline.newsroom.route_starts()
    assert set(began) == {NEWS, AI_ONLY, LATE} and began[LATE] > began[NEWS]


async def test_explain_names_the_archive_rule(desk: Desk) -> None:
    write_story(desk.folder, "old.md", 1, topics=["Space"])
    pipeline = await desk.start()
    routes = pipeline.routes
    story_id = desk.story_column(1, "id")
    story = pipeline.newsroom.story(story_id)
    assert story is not None
    verdicts = routes.verdicts(story, routes.context(live_since=desk.story_column(1, "live_since")))
    news = next(v for route, v in verdicts if route.channel_id == NEWS)
    assert (news.ok, news.rule, news.reason) == (False, "archive", ARCHIVE_REASON)
    fresh = routes.verdicts(story, routes.context(live_since=desk.story_column(1, "live_since") + 3600))
    assert next(v for route, v in fresh if route.channel_id == NEWS).ok


async def test_a_regeneration_in_another_layout_writes_no_story_and_sends_nothing(desk: Desk) -> None:
    for n in range(1, 4):
        write_story(desk.folder, f"{n}.md", n, topics=["Space"])
    await desk.start(backfill="all")
    sent = list(desk.sink.calls)
    updated = desk.story_column(2, "updated_at")
    for n in range(1, 4):  # the same data: other key order, flow style, quoting
        fields = story_fields(n, topics=["Space"])
        front = yaml.safe_dump(dict(reversed(list(fields.items()))), default_flow_style=True, width=10_000)
        (desk.folder / f"{n}.md").write_text(f"---\n{front}---\n", encoding="utf-8")
    await desk.settle()
    assert desk.sink.calls == sent
    assert desk.story_column(2, "updated_at") == updated
    # The reader saw the data unchanged and sent back no story: the file row holds the new bytes' hash.
    assert desk.pipeline is not None
    state = desk.pipeline.store.file_state("2.md")
    assert state is not None and state.sha256 == hashlib.sha256((desk.folder / "2.md").read_bytes()).hexdigest()
    st = (desk.folder / "2.md").stat()
    assert read_file(str(desk.folder), "2.md", replace(state, mtime_ns=0), 10_000, False) == FileTouched(
        "2.md", st.st_mtime_ns, st.st_size
    )
    # Bytes it has not seen, same data: a touch with the new hash, no story sent back to the indexing process.
    older = replace(state, mtime_ns=0, sha256="an earlier layout")
    touched = read_file(str(desk.folder), "2.md", older, 10_000, False)
    assert touched == FileTouched("2.md", st.st_mtime_ns, st.st_size, state.sha256)
    changed = replace(older, fingerprint="another story")
    assert type(read_file(str(desk.folder), "2.md", changed, 10_000, False)).__name__ == "FileParsed"


async def test_renaming_a_story_without_web_url_keeps_its_message(desk: Desk) -> None:
    write_story(desk.folder, "a.md", 1, topics=["Space"], webUrl=None)
    await desk.start(backfill="all")
    assert desk.posts() == 1
    (desk.folder / "a.md").rename(desk.folder / "b.md")
    await desk.settle()
    assert desk.sink.count("post") == 1 and desk.sink.count("delete") == 0
    assert desk.pipeline is not None
    with desk.pipeline.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, present FROM stories")).all()
    assert [tuple(r) for r in rows] == [("file:b.md", 1)]


async def test_two_files_with_one_web_url_are_warned_about_once_and_listed(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    write_story(desk.folder, "a.md", 1, topics=["Space"])
    await desk.start()
    caplog.set_level(logging.WARNING)
    write_story(desk.folder, "b.md", 1, topics=["Space"], title="Another take")
    await desk.settle()
    write_story(desk.folder, "b.md", 1, topics=["Space"], title="Another take, edited")
    write_story(desk.folder, "a.md", 1, topics=["Space"], title="First take, edited")
    await desk.settle()
    warned = [r.getMessage() for r in caplog.records if "same webUrl" in r.getMessage()]
    assert len(warned) == 1 and "a.md and b.md" in warned[0]  # once per pair, whichever file wins now
    assert desk.pipeline is not None
    count, groups = desk.pipeline.store.duplicate_files()
    assert count == 1 and groups == [["a.md", "b.md"]]  # the file that defines the story (written last) first
    text = render_text(status_report(desk.pipeline.store))
    assert "Stories in two or more files (one webUrl; the first file defines it): 1\n  - a.md, b.md" in text
