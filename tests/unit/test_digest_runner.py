"""Digest runs on a real SQLite store: the window, no story twice, min_items, failures, and the run log."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.digest.runner import DigestRunner, digest_nonce
from bot.digest_spec import DigestSpec, make_spec
from bot.routes.planning import make_planner
from bot.send.errors import DeliveryError
from bot.store import FileParsed, Store
from bot.store.digests import DigestRow
from bot.store.meta_keys import MetaKey
from bot.stories.parser import parse_story_text
from tests.storyfiles import story_text

GUILD, CHANNEL = 100, 555


class RecordingSink:
    """Answers like Discord; ``fail`` scripts errors for the next posts."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, dict[str, Any], str]] = []
        self.fail: list[DeliveryError | None] = []

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if self.fail:
            error = self.fail.pop(0)
            if error is not None:
                raise error
        self.posts.append((channel_id, payload, nonce))
        return 9000 + len(self.posts)

    def titles(self, index: int = -1) -> list[str]:
        """The story titles in post ``index``, in order."""
        _, payload, _ = self.posts[index]
        lines = [line for e in payload["embeds"][1:] for line in e["description"].split("\n") if line.startswith("**")]
        return [line.split("[", 1)[1].split("]", 1)[0] for line in lines]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def runner(store: Store, sink: RecordingSink) -> DigestRunner:
    store.set_meta(MetaKey.INITIALIZED, str(time.time() - 3600))
    return DigestRunner(store, sink, retry_base=0.001)


def add(store: Store, n: int, **fields: Any) -> None:
    story = parse_story_text(story_text(n, **fields), f"{n}.md")
    data = json.dumps(story.to_dict(), sort_keys=True)
    item = FileParsed(f"{n}.md", n, 100, f"sha-{n}-{fields}", story, data, hashlib.sha256(data.encode()).hexdigest())
    store.apply([item], make_planner(lambda s: [], announce=True, on_unpublish="delete"))


def digest(runner: DigestRunner, **options: Any) -> DigestRow:
    spec: DigestSpec = make_spec(**{"name": "daily", "channel_id": CHANNEL, "time": "09:00", **options})
    return runner.digests.save(GUILD, spec)


async def test_a_story_is_never_in_two_runs_and_the_window_moves_on(
    store: Store, runner: DigestRunner, sink: RecordingSink
) -> None:
    row = digest(runner)
    for n in (1, 2, 3):
        add(store, n, quality=50 + n)
    first = await runner.run(row.id)
    assert first.status == "sent" and first.stories == 3
    assert sink.titles() == ["Story number 3", "Story number 2", "Story number 1"], "ranked by quality"
    add(store, 1, quality=51, title="Story number 1, updated")  # an edit is not news again
    add(store, 4)
    add(store, 5, published=False)
    second = await runner.run(row.id)
    assert second.status == "sent" and sink.titles() == ["Story number 4"]
    third = await runner.run(row.id)
    assert third.status == "skipped" and len(sink.posts) == 2
    runs = runner.digests.runs(row.id)
    assert [r.status for r in runs] == ["sent", "sent", "skipped"]
    assert runs[1].window_start == runs[0].window_end, "each window starts where the last one ended"
    assert runs[0].message_ids == (9001,) and runs[0].story_count == 3
    assert len(runner.digests.delivered(row.id)) == 4


async def test_min_items_skips_silently_and_keeps_the_stories_for_later(
    store: Store, runner: DigestRunner, sink: RecordingSink
) -> None:
    row = digest(runner, min_items=3)
    add(store, 1)
    add(store, 2)
    assert (await runner.run(row.id)).status == "skipped"
    assert sink.posts == []
    add(store, 3)
    outcome = await runner.run(row.id)
    assert outcome.status == "sent" and outcome.stories == 3


async def test_max_items_keeps_the_best_and_drops_the_rest_of_that_window(
    store: Store, runner: DigestRunner, sink: RecordingSink
) -> None:
    row = digest(runner, max_items=2)
    for n, quality in ((1, 10), (2, 90), (3, 50)):
        add(store, n, quality=quality)
    assert (await runner.run(row.id)).stories == 2
    assert sink.titles() == ["Story number 2", "Story number 3"]
    assert (await runner.run(row.id)).status == "skipped", "the window moved past the one left out"


async def test_filters(store: Store, runner: DigestRunner, sink: RecordingSink) -> None:
    row = digest(runner, topics="security, CLIMATE", min_quality=40)
    add(store, 1, topics=["Climate"], quality=60)
    add(store, 2, topics=["AI"], quality=90)
    add(store, 3, topics=["Security"], quality=30)
    add(store, 4, topics=["security"], quality=None)
    await runner.run(row.id)
    assert sink.titles() == ["Story number 1"]


async def test_first_run_looks_back_one_period_and_the_archive_is_not_news(
    store: Store, runner: DigestRunner, sink: RecordingSink
) -> None:
    now = datetime.now(UTC)
    add(store, 1, publishedDateTime=(now - timedelta(days=3)).isoformat())  # the archive, old
    add(store, 2, publishedDateTime=(now - timedelta(hours=2)).isoformat())  # the archive, but published lately
    store.set_meta(MetaKey.INITIALIZED, str(time.time()))  # the first index is done
    await asyncio.sleep(0.01)
    add(store, 3, publishedDateTime=(now - timedelta(days=3)).isoformat())  # a new file with an old date: news
    row = digest(runner, time=(now - timedelta(hours=1)).strftime("%H:%M"))
    outcome = await runner.run(row.id)
    assert outcome.plan is not None
    assert outcome.plan.window_end - outcome.plan.window_start == pytest.approx(86400, abs=1)
    assert sink.titles() == ["Story number 2", "Story number 3"]


async def test_a_refused_post_records_nothing_and_the_next_run_posts_it(
    store: Store, runner: DigestRunner, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    row = digest(runner)
    add(store, 1)
    sink.fail = [DeliveryError("missing permissions: Missing Access", retryable=False, status=403)]
    outcome = await runner.run(row.id)
    assert outcome.status == "failed" and sink.posts == []
    assert "could not post to channel 555" in caplog.text and "stays scheduled" in caplog.text
    assert runner.digests.delivered(row.id) == set()
    assert (await runner.run(row.id)).status == "sent"
    assert sink.titles() == ["Story number 1"]


async def test_a_partial_run_records_what_went_out(store: Store, runner: DigestRunner, sink: RecordingSink) -> None:
    row = digest(runner, max_items=25)
    long_title = "A headline long enough to fill a digest quickly " * 4
    for n in range(1, 26):
        add(store, n, title=f"{n:02d} {long_title}", quality=100 - n)
    sink.fail = [None, DeliveryError("Discord answered 400", retryable=False, status=400)]
    outcome = await runner.run(row.id)
    assert outcome.status == "partial" and len(sink.posts) == 1
    sent = set(runner.digests.delivered(row.id))
    assert 0 < len(sent) < 25
    retry = await runner.run(row.id)
    assert retry.status == "sent" and retry.stories == 25 - len(sent), "only what did not go out before"
    assert len(runner.digests.delivered(row.id)) == 25


async def test_retryable_errors_are_retried_with_the_same_nonce(
    store: Store, runner: DigestRunner, sink: RecordingSink
) -> None:
    row = digest(runner)
    add(store, 1)
    sink.fail = [DeliveryError("Discord answered 503", retryable=True, status=503)] * 2
    outcome = await runner.run(row.id)
    assert outcome.status == "sent" and len(sink.posts) == 1
    story_ids = tuple(runner.digests.delivered(row.id))
    assert sink.posts[0][2] == digest_nonce(row.id, story_ids)
    assert len(digest_nonce(row.id, story_ids)) <= 25


async def test_replacing_a_digest_keeps_its_history(store: Store, runner: DigestRunner, sink: RecordingSink) -> None:
    row = digest(runner)
    add(store, 1)
    await runner.run(row.id)
    replaced = digest(runner, time="18:00", topics="AI")
    assert replaced.id == row.id and replaced.spec.schedule.label == "18:00 daily"
    assert (await runner.run(row.id)).status == "skipped"


async def test_preview_posts_and_records_nothing(store: Store, runner: DigestRunner, sink: RecordingSink) -> None:
    row = digest(runner)
    add(store, 1)
    plan = await runner.preview(row.id)
    assert plan is not None and not plan.skipped and plan.story_count == 1
    assert sink.posts == [] and runner.digests.runs(row.id) == []


async def test_a_removed_digest_does_not_run(store: Store, runner: DigestRunner, sink: RecordingSink) -> None:
    row = digest(runner)
    add(store, 1)
    assert runner.digests.remove(row.id)
    assert (await runner.run(row.id)).status == "missing" and sink.posts == []


def test_config_digests_are_synced(store: Store) -> None:
    digests = store.digests
    a = make_spec(name="a", channel_id=1, time="09:00")
    b = make_spec(name="b", channel_id=2, time="10:00")
    first = digests.sync_config([a, b])
    assert [r.spec.name for r in first] == ["a", "b"] and all(r.from_config for r in first)
    changed = make_spec(name="a", channel_id=1, time="11:00")
    second = digests.sync_config([changed])
    assert [(r.id, r.spec.schedule.label) for r in second] == [(first[0].id, "11:00 daily")]
    assert digests.get(first[1].id) is None


def test_baseline_key_is_the_pipelines_first_index_mark_as_stored() -> None:
    # One key for both (the pipeline writes it, the digests read it), spelled as existing databases store it.
    assert MetaKey.INITIALIZED == "initialized_at"


@pytest.mark.parametrize("embargo", [True, False])
async def test_a_held_story_waits_for_the_digest_run_after_its_release(
    store: Store, sink: RecordingSink, embargo: bool
) -> None:
    store.set_meta(MetaKey.INITIALIZED, str(time.time() - 3600))
    clock = [time.time()]
    runner = DigestRunner(store, sink, retry_base=0.001, clock=lambda: clock[0], embargo=embargo)
    row = digest(runner)
    add(store, 1)
    release = datetime.fromtimestamp(clock[0] + 3600, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    add(store, 2, title="Held", publishedDateTime=release)
    await runner.run(row.id)
    assert ("Held" in sink.titles()) is not embargo
    clock[0] += 7200
    add(store, 3)
    await runner.run(row.id)
    assert ("Held" in sink.titles()) is embargo, "released: the next run's window has it"
