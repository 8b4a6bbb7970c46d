"""Rejected story files: reported once per reason (not once per write of a slow copy), and named at start-up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import Alerter
from bot.config import parse_config
from bot.pipeline import Pipeline
from bot.render.status import render_embed, render_text
from bot.routes.planning import OnUnpublish
from bot.status import collect
from bot.store import Store
from bot.stories.scanner import Scanner
from tests.storyfiles import story_text

UNCLOSED = "---\ntitle: Half copied\nexcerpt: "  # a slow copy caught before the closing '---'


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'db' / 'r.db'}")
    yield s
    s.close()


def reported(scanner: Scanner, caplog: pytest.LogCaptureFixture, name: str = "x.md") -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.stories.scanner"):
        result = scanner.process_paths([name])
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Rejected story file")]
    assert len(logged) == len(result.rejected), "every report is both logged and handed to the alerter"
    return [reason for _path, reason in result.rejected]


def test_a_slow_copy_is_reported_once_per_reason(store: Store, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    scanner = Scanner(folder, store, max_bytes=100_000, channels_for=lambda story: [], on_unpublish=OnUnpublish.DELETE)
    target = folder / "x.md"
    target.write_text(UNCLOSED)
    first = reported(scanner, caplog)
    assert len(first) == 1 and "front matter is not closed" in first[0]
    for chunk in ("The first", " words of", " the excerpt\n"):
        with target.open("a") as handle:
            handle.write(chunk)
        assert reported(scanner, caplog) == [], "the same reason on the next write is not news"
    assert reported(scanner, caplog) == [], "nor the same content seen again"
    target.write_text("---\nexcerpt: no title here\n---\nbody\n")
    second = reported(scanner, caplog)
    assert len(second) == 1 and "title" in second[0], "a new reason is reported"
    assert store.rejected_files() == [("x.md", second[0])]

    target.write_text(story_text(1))
    assert reported(scanner, caplog) == [] and store.rejected_files() == []
    target.write_text(UNCLOSED)
    assert len(reported(scanner, caplog)) == 1, "broken again after parsing OK: reported again"


def test_a_full_rescan_reports_a_file_once_too(store: Store, folder: Path) -> None:
    scanner = Scanner(folder, store, max_bytes=100_000, channels_for=lambda story: [], on_unpublish=OnUnpublish.DELETE)
    (folder / "x.md").write_text(UNCLOSED)
    assert len(scanner.reconcile(announce=True)[0].rejected) == 1
    (folder / "x.md").write_text(UNCLOSED + "more words")
    result, report = scanner.reconcile(announce=True)
    assert result.rejected == [] and report.failed == 1, "still counted as rejected, just not reported again"


async def test_alerts_follow_the_reason_within_the_hour(store: Store) -> None:
    sent: list[dict[str, Any]] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append(payload)

    alerter = Alerter(store, send, config_channel=999, guild_of=lambda channel: None)

    async def report(rejected: Iterable[tuple[str, str]]) -> None:
        alerter.files_rejected(rejected)
        await asyncio.sleep(0)
        await alerter.drain()

    await report([("x.md", "x.md: front matter is not closed")])
    await report([("x.md", "x.md: front matter is not closed")])
    await report([("x.md", "x.md: title: missing")])
    assert [p["embeds"][0]["description"].split("\n")[0] for p in sent] == [
        "• x.md: front matter is not closed",
        "• x.md: title: missing",
    ]


async def test_the_start_up_summary_names_the_rejected_files(
    tmp_path: Path, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for n in range(7):
        (folder / f"bad{n}.md").write_text(UNCLOSED)
    (folder / "good.md").write_text(story_text(1))
    config = parse_config({"articles": {"path": str(folder)}, "storage": {"url": f"sqlite:///{tmp_path / 's.db'}"}})
    pipeline = Pipeline(config, Store.open(config.storage_url))

    class Nowhere:
        async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
            raise AssertionError("nothing is routed")

        async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None: ...

        async def delete(self, channel_id: int, message_id: int) -> None: ...

    with caplog.at_level(logging.INFO, logger="bot.pipeline"):
        await pipeline.start(Nowhere(), watch=False)
    await pipeline.stop()
    report = collect(pipeline.store, pipeline.store.newsroom, digests=[])
    pipeline.store.close()
    summary = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("Watching"))
    assert "7 files rejected (bad0.md, bad1.md, bad2.md, bad3.md, bad4.md, …and 2 more)" in summary
    assert "  - …and 2 more" in render_text(report, now=0).splitlines()
    rejected_field = next(f for f in render_embed(report, now=0)["fields"] if f["name"].startswith("Rejected"))
    assert rejected_field["value"].endswith("…and 2 more")
