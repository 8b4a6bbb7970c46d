"""A digest run whose process died after claiming it and before recording it is resumed by the next process: the
messages already in the channel (found by their marker in history) are adopted, only the rest are posted."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.digest.markers import find_marked, mark, run_ref
from bot.digest.render import DigestMessage
from bot.digest.runner import DigestRunner
from bot.store import Store
from bot.store.cluster import Member
from bot.store.digests import BASELINE_KEY
from tests.unit.test_digest_runner import RecordingSink, add, digest

BOT_ID = 4242


class Died(BaseException):
    """The process was killed mid-run: nothing after this point runs, not even the runner's cleanup."""


class Channel(RecordingSink):
    """Answers like Discord and keeps the channel's history (newest first, as GET /channels/{id}/messages)."""

    def __init__(self) -> None:
        super().__init__()
        self.die_after: int | None = None
        self.history_reads = 0

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if self.die_after is not None and len(self.posts) >= self.die_after:
            raise Died
        return await super().post(channel_id, payload, nonce=nonce)

    async def recent_messages(self, channel_id: int, limit: int = 50) -> list[dict[str, Any]]:
        self.history_reads += 1
        found = [
            {"id": str(9001 + i), "author": {"id": str(BOT_ID)}, "embeds": payload["embeds"]}
            for i, (channel, payload, _) in enumerate(self.posts)
            if channel == channel_id
        ]
        return list(reversed(found))[:limit]


def member(store: Store, member_id: str) -> None:
    now = time.time()
    store.cluster.beat(Member(member_id, "host", 1, 1, (0,), (0,), True, False, now, now, 5.0))


def runner_for(store: Store, channel: Channel, member_id: str, *, exclusive: bool) -> DigestRunner:
    return DigestRunner(
        store,
        channel,
        retry_base=0.001,
        member_id=member_id,
        exclusive=exclusive,
        history=channel,
        author_id=lambda: BOT_ID,
    )


@pytest.fixture
def channel() -> Channel:
    return Channel()


async def crash_mid_run(store: Store, channel: Channel, *, posted: int) -> tuple[int, int]:
    """A run of 25 long stories (two messages) by process 'dead', killed after ``posted`` messages."""
    store.set_meta(BASELINE_KEY, str(time.time() - 3600))
    dead = runner_for(store, channel, "dead", exclusive=False)
    row = digest(dead, max_items=25)
    long_title = "A headline long enough to fill a digest quickly " * 4
    for n in range(1, 26):
        add(store, n, title=f"{n:02d} {long_title}", quality=100 - n)
    channel.die_after = posted
    with pytest.raises(Died):
        await dead.run(row.id, run_key="scheduled:1")
    channel.die_after = None
    assert dead.digests.runs(row.id) == [] and dead.digests.keys.state(row.id, "scheduled:1") == ("posting", "dead")
    return row.id, len(channel.posts)


@pytest.mark.parametrize("exclusive", [False, True], ids=["cluster", "sqlite-style"])
async def test_a_dead_run_with_one_message_out_adopts_it_and_posts_the_other(
    store: Store, channel: Channel, exclusive: bool
) -> None:
    digest_id, before = await crash_mid_run(store, channel, posted=1)
    assert before == 1
    member(store, "next")
    outcomes = await runner_for(store, channel, "next", exclusive=exclusive).resume_orphans([digest_id])
    assert [o.status for o in outcomes] == ["sent"]
    assert len(channel.posts) == 2, "message 1 adopted from history, message 2 posted once"
    parts = find_marked(await channel.recent_messages(555), run_ref(digest_id, "scheduled:1"), author_id=BOT_ID)
    assert sorted(parts) == [1, 2]
    digests = store.digests
    [run] = digests.runs(digest_id)
    assert run.status == "sent" and run.story_count == 25 and run.message_ids == (9001, 9002)
    assert len(digests.delivered(digest_id)) == 25
    assert digests.keys.state(digest_id, "scheduled:1") == ("done", "next")
    assert await runner_for(store, channel, "next", exclusive=exclusive).resume_orphans([digest_id]) == []


async def test_a_dead_run_with_nothing_out_posts_both_messages_once(store: Store, channel: Channel) -> None:
    digest_id, before = await crash_mid_run(store, channel, posted=0)
    assert before == 0
    member(store, "next")
    runner = runner_for(store, channel, "next", exclusive=False)
    [outcome] = await runner.resume_orphans([digest_id])
    assert outcome.status == "sent" and len(channel.posts) == 2 and channel.history_reads == 1
    # The next scheduled run finds nothing left: every story went out in the resumed run.
    assert (await runner.run(digest_id, run_key="scheduled:2")).status == "skipped"
    assert len(channel.posts) == 2


async def test_the_next_run_resumes_a_dead_run_first_so_no_story_goes_twice(store: Store, channel: Channel) -> None:
    digest_id, _ = await crash_mid_run(store, channel, posted=1)
    member(store, "next")
    add(store, 26, title="Story 26 arrived later")
    outcome = await runner_for(store, channel, "next", exclusive=False).run(digest_id, run_key="scheduled:2")
    assert outcome.status == "sent" and outcome.stories == 1
    assert len(channel.posts) == 3 and channel.titles() == ["Story 26 arrived later"]
    assert [r.status for r in store.digests.runs(digest_id)] == ["sent", "sent"]


async def test_a_run_whose_claimer_is_alive_is_left_to_it(store: Store, channel: Channel) -> None:
    digest_id, _ = await crash_mid_run(store, channel, posted=1)
    member(store, "dead")  # still beating: it is slow, not dead
    member(store, "next")
    assert await runner_for(store, channel, "next", exclusive=False).resume_orphans([digest_id]) == []
    assert len(channel.posts) == 1


def test_the_marker_is_on_the_last_embed_of_each_message_only() -> None:
    messages = [
        DigestMessage({"embeds": [{"title": "h", "footer": {"text": "Newsdesk digest"}}, {"description": "a"}]}, (1,)),
        DigestMessage({"embeds": [{"description": "b"}]}, (2,)),
    ]
    first, second = mark(messages, "0123456789")
    assert "footer" not in first.payload["embeds"][0]
    assert first.payload["embeds"][1]["footer"]["text"] == "Newsdesk digest · part 1 of 2 · ref 0123456789"
    assert second.payload["embeds"][0]["footer"]["text"].endswith("part 2 of 2 · ref 0123456789")
    history = [
        {"id": "7", "author": {"id": "1"}, "embeds": second.payload["embeds"]},
        {"id": "6", "author": {"id": "2"}, "embeds": first.payload["embeds"]},
    ]
    assert find_marked(history, "0123456789") == {1: 6, 2: 7}
    assert find_marked(history, "0123456789", author_id=1) == {2: 7}, "only the bot's own messages"
    assert find_marked(history, "ffffffffff") == {}
