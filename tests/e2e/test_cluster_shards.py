"""Two processes, one shard each, over one PostgreSQL database against the fake Discord with two guilds on
different shards: claimed sends (each story once per channel, through kills and restarts), the ingest role moving
to a survivor, LISTEN/NOTIFY feeding the other shard's process, and resharding that reposts nothing."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import NEWS
from tests.fakediscord import DEFAULT_GUILD_ID, SECOND_GUILD_CHANNELS, FakeDiscord, second_guild
from tests.fakediscord.world import default_guild
from tests.pgserver import PostgresServer, PostgresUnavailable
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
WORLD = SECOND_GUILD_CHANNELS[0][1]  # the second guild's channel: shard 1 of 2 (NEWS: shard 0)
CHANNELS = [
    {"id": NEWS, "name": "news", "topics": "*", "guild": DEFAULT_GUILD_ID},
    {"id": WORLD, "name": "world", "topics": "*"},
]
SHARD = {0: ["--shard-count", "2", "--shard-ids", "0"], 1: ["--shard-count", "2", "--shard-ids", "1"]}


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    guilds = [default_guild(), second_guild()]
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=guilds, shard_count=2).start()
    yield server
    server.stop()


@pytest.fixture
def cluster_bot(make_bot: MakeBot, request: pytest.FixtureRequest) -> Iterator[Callable[[], BotProcess]]:
    try:
        server: PostgresServer = request.getfixturevalue("postgres")
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here: {exc}")
    url = server.create_database()

    def factory() -> BotProcess:
        # A 1 s heartbeat: a killed member's claims come free within 3 s, so the tests need not wait long.
        return make_bot(channels=CHANNELS, storage={"url": url, "heartbeat_seconds": 1})

    yield factory


def titles(fake: FakeDiscord, channel: int) -> Counter[str]:
    # Only the feed's posts (the /news answers show up in the channel too).
    posts = (str(m["embeds"][0]["title"]) for m in fake.messages(channel) if m.get("embeds"))
    return Counter(t for t in posts if t.startswith("Story "))


def burst(bot: BotProcess, first: int, count: int) -> list[str]:
    names = [f"Story {n}" for n in range(first, first + count)]
    for n, title in zip(range(first, first + count), names, strict=True):
        write_story(bot.articles, f"s{n}.md", n, title=title)
    return names


def settled(fake: FakeDiscord, expected: list[str], *, timeout: float = 40.0) -> None:
    try:
        fake.wait_for(lambda: all(set(titles(fake, c)) >= set(expected) for c in (NEWS, WORLD)), timeout=timeout)
    except AssertionError:
        missing = {c: sorted(set(expected) - set(titles(fake, c))) for c in (NEWS, WORLD)}
        raise AssertionError(f"not posted within {timeout:.0f} s: {missing}") from None
    time.sleep(1.5)  # anything posted twice would show up by now
    for channel in (NEWS, WORLD):
        seen = titles(fake, channel)
        assert sorted(seen) == sorted(expected), f"channel {channel}: exactly the expected stories"
        assert max(seen.values()) == 1, f"channel {channel}: each story exactly once"


def ingest_holder(a: BotProcess, b: BotProcess) -> tuple[BotProcess, BotProcess]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for holder, other in ((a, b), (b, a)):
            if "Holding the ingest role" in holder.log_text():
                return holder, other
        time.sleep(0.1)
    raise AssertionError("nobody took the ingest role")


def answered(fake: FakeDiscord, channel: int) -> dict[str, Any]:
    sent = fake.send_interaction(2, name="news", options={}, channel_id=channel)
    return fake.wait_for(lambda: fake.callback_for(sent.id))


def test_two_processes_post_each_story_once_and_a_survivor_takes_ingest(
    fake: FakeDiscord, cluster_bot: Callable[[], BotProcess]
) -> None:
    a = cluster_bot().start(args=SHARD[0])
    b = cluster_bot().start(args=SHARD[1])
    assert sorted(fake.identified_shards) == [(0, 2), (1, 2)]
    holder, other = ingest_holder(a, b)
    assert "Holding the ingest role" not in other.log_text(), "exactly one process ingests"

    expected = burst(a, 1, 5)
    settled(fake, expected)
    for channel in (NEWS, WORLD):
        assert answered(fake, channel)["status"] == 200, f"/news answered in channel {channel}"

    holder.kill()
    # The survivor takes ingest (the lock is free about a second after the kill) and plans the new files.
    other.wait_for_log("Holding the ingest role", since=other.mark, timeout=15)
    expected += burst(a, 6, 3)
    # The killed shard's process comes back and sends what waited for it in the ledger; ingest stays put.
    restarted = cluster_bot().start(args=SHARD[0] if holder is a else SHARD[1])
    settled(fake, expected)
    assert "Holding the ingest role" not in restarted.log_text()


def test_a_process_killed_mid_burst_and_restarted_posts_each_story_once_and_no_ingest_never_ingests(
    fake: FakeDiscord, cluster_bot: Callable[[], BotProcess]
) -> None:
    # a can't see the folder (--no-ingest): b ingests, so b's death also leaves nobody planning until it is back.
    a = cluster_bot().start(args=[*SHARD[0], "--no-ingest"])
    b = cluster_bot().start(args=SHARD[1])
    assert ingest_holder(a, b)[0] is b
    fake.set_delay(0.1)  # every post takes a while: b is mid-burst when it dies
    expected = burst(a, 1, 30)
    fake.wait_for(lambda: len(fake.messages(WORLD)) >= 5, timeout=40)
    b.kill()
    b = cluster_bot().start(args=SHARD[1])
    settled(fake, expected, timeout=90)
    assert "Holding the ingest role" not in a.log_text(), "a --no-ingest process never ingests"


def test_changing_the_shard_count_from_1_to_2_reposts_nothing(
    fake: FakeDiscord, cluster_bot: Callable[[], BotProcess]
) -> None:
    one = cluster_bot().start(args=["--shard-count", "1"])
    one.wait_for_log("Holding the ingest role")
    expected = burst(one, 1, 3)
    settled(fake, expected)
    assert one.stop() == 0
    a = cluster_bot().start(args=SHARD[0])
    ingest_holder(a, cluster_bot().start(args=SHARD[1]))
    expected += burst(a, 4, 1)
    settled(fake, expected)
