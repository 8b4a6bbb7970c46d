"""Two processes, one shard each, over one PostgreSQL database against the fake Discord with two guilds on
different shards: claimed sends (each story once per channel, through kills and restarts), the ingest role moving
to a survivor, LISTEN/NOTIFY feeding the other shard's process, and resharding that reposts nothing."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import NEWS
from tests.fakediscord import (
    ADMIN_PERMISSIONS,
    DEFAULT_GUILD_ID,
    EDITOR_ID,
    SECOND_GUILD_CHANNELS,
    FakeDiscord,
    second_guild,
)
from tests.fakediscord.control import PATIENCE
from tests.fakediscord.sharding import SECOND_GUILD_ID
from tests.fakediscord.world import default_guild
from tests.pgserver import PostgresServer, PostgresUnavailable
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
ClusterBot = Callable[..., BotProcess]
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
def cluster_bot(make_bot: MakeBot, request: pytest.FixtureRequest) -> Iterator[ClusterBot]:
    try:
        server: PostgresServer = request.getfixturevalue("postgres")
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here: {exc}")
    url = server.create_database()

    def factory(**overrides: Any) -> BotProcess:
        # A 1 s heartbeat: a killed member's claims come free within 3 s, so the tests need not wait long.
        return make_bot(**{"channels": CHANNELS, "storage": {"url": url, "heartbeat_seconds": 1}, **overrides})

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


def settled(fake: FakeDiscord, expected: list[str], *, timeout: float = PATIENCE) -> None:
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
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        for holder, other in ((a, b), (b, a)):
            if "Holding the ingest role" in holder.log_text():
                return holder, other
        time.sleep(0.1)
    raise AssertionError("nobody took the ingest role")


def answered(fake: FakeDiscord, channel: int) -> dict[str, Any]:
    sent = fake.send_interaction(2, name="news", options={}, channel_id=channel)
    return fake.wait_for(lambda: fake.callback_for(sent.id))


@pytest.mark.slow
def test_two_processes_post_each_story_once_and_a_survivor_takes_ingest(
    fake: FakeDiscord, cluster_bot: ClusterBot
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
    fake: FakeDiscord, cluster_bot: ClusterBot
) -> None:
    # a can't see the folder (--no-ingest): b ingests, so b's death also leaves nobody planning until it is back.
    a = cluster_bot().start(args=[*SHARD[0], "--no-ingest"])
    b = cluster_bot().start(args=SHARD[1])
    assert ingest_holder(a, b)[0] is b
    fake.set_delay(0.1)  # every post takes a while: b is mid-burst when it dies
    expected = burst(a, 1, 50)  # the burst: SIGKILL one process mid-way through 50 stories
    fake.wait_for(lambda: len(fake.messages(WORLD)) >= 5)
    assert len(fake.messages(WORLD)) < 50, "b must die mid-burst"
    b.kill()
    b = cluster_bot().start(args=SHARD[1])
    settled(fake, expected, timeout=90)
    assert "Holding the ingest role" not in a.log_text(), "a --no-ingest process never ingests"


def test_changing_the_shard_count_from_1_to_2_reposts_nothing(fake: FakeDiscord, cluster_bot: ClusterBot) -> None:
    one = cluster_bot().start(args=["--shard-count", "1"])
    one.wait_for_log("Holding the ingest role")
    expected = burst(one, 1, 3)
    settled(fake, expected)
    assert one.stop() == 0
    a = cluster_bot().start(args=SHARD[0])
    ingest_holder(a, cluster_bot().start(args=SHARD[1]))
    expected += burst(a, 4, 1)
    settled(fake, expected)


# -- digests in a cluster ---------------------------------------------------------------------------------------

ALERTS = 200000000000000004  # the default guild's (shard 0's) alerts channel
GENERAL = 200000000000000005
LONG_TITLE = "A headline long enough to fill a digest quickly " * 4  # 25 of them need two digest messages
PART = re.compile(r"part (\d+) of (\d+) · ref ([0-9a-f]+)")


def digest_parts(fake: FakeDiscord, channel: int) -> Counter[tuple[int, int, str]]:
    """(part, of, run ref) of every digest message in the channel, from each message's marker footer."""
    found: Counter[tuple[int, int, str]] = Counter()
    for message in fake.messages(channel):
        for embed in message.get("embeds") or ():
            match = PART.search(str((embed.get("footer") or {}).get("text", "")))
            if match:
                found[(int(match.group(1)), int(match.group(2)), match.group(3))] += 1
    return found


@pytest.mark.slow
def test_a_digest_runs_once_although_several_processes_run_a_scheduler_and_two_own_its_guild(
    fake: FakeDiscord, cluster_bot: ClusterBot
) -> None:
    """a (shard 0 of 2) and b (shard 1 of 2) as configured, plus c started by mistake with ``--shard-count 4
    --shard-ids 3``: it holds a free lock and owns the second guild too, so b and c both fire "world"."""
    channels = [CHANNELS[0], {**CHANNELS[1], "guild": SECOND_GUILD_ID}]
    due = math.ceil((time.time() + 45) / 60) * 60  # the schedules have minute resolution: one boundary, shared
    at = datetime.fromtimestamp(due, UTC).strftime("%H:%M")
    digests = [{"name": "front", "channel": ALERTS, "time": at}, {"name": "world", "channel": WORLD, "time": at}]
    bots = [
        cluster_bot(channels=channels, digests=digests).start(args=args)
        for args in (SHARD[0], SHARD[1], ["--shard-count", "4", "--shard-ids", "3"])
    ]
    for bot, scheduled in zip(bots, (1, 1, 1), strict=True):
        bot.wait_for_log(f"Digests: {scheduled} scheduled")  # every process runs a scheduler
    writer = ingest_holder(bots[0], bots[1])[0]
    expected = burst(writer, 1, 2)
    fake.wait_for(lambda: all(set(titles(fake, c)) >= set(expected) for c in (NEWS, WORLD)))
    assert time.time() < due - 1, "the set-up must finish before the digests are due"
    time.sleep(max(0.0, due - time.time()))
    bots[0].wait_for_log("Digest 'front' (schedule): posted 2 stories")
    claimed = f"run scheduled:{due} was already claimed"
    fake.wait_for(lambda: any(claimed in b.log_text() for b in bots))
    time.sleep(1.5)  # a second post would show up by now
    for channel, name in ((ALERTS, "front"), (WORLD, "world")):
        posts = [m for m in fake.messages(channel) if m["embeds"] and m["embeds"][0].get("title") == f"{name} digest"]
        assert len(posts) == 1, f"digest {name}: exactly one post for the run"
    refused = [b for b in bots[1:] if claimed in b.log_text()]
    assert len(refused) == 1, "one of the two owners of the second guild fired 'world' and the run key stopped it"
    assert claimed not in bots[0].log_text()


def test_a_digest_killed_mid_post_is_resumed_by_the_restarted_process_and_posts_each_part_once(
    fake: FakeDiscord, cluster_bot: ClusterBot
) -> None:
    digests = [{"name": "big", "channel": ALERTS, "time": "03:00", "max_items": 25}]
    a = cluster_bot(digests=digests).start(args=SHARD[0])
    b = cluster_bot(digests=digests).start(args=SHARD[1])
    writer = ingest_holder(a, b)[0]
    for n in range(1, 26):
        write_story(writer.articles, f"s{n}.md", n, title=f"Story {n:02d} {LONG_TITLE}")
    fake.wait_for(lambda: len(titles(fake, NEWS)) == 25 and len(titles(fake, WORLD)) == 25, timeout=60)

    fake.hold_posts(ALERTS, after=1)  # the digest's first message goes out, its second hangs
    fake.send_interaction(
        name="digest",
        subcommand="run",
        options=[{"name": "name", "type": 3, "value": "big"}],
        channel_id=GENERAL,
        user_id=EDITOR_ID,
        permissions=ADMIN_PERMISSIONS,
    )
    fake.wait_for(lambda: fake.held_posts == 1 and len(fake.messages(ALERTS)) == 1)
    a.kill()
    fake.release_posts()  # the hanging post dies with its sender: Discord never created it
    fake.wait_for(lambda: fake.held_posts == 0)

    a = cluster_bot(digests=digests).start(args=SHARD[0])
    a.wait_for_log("Digest 'big': resuming run once:", since=a.mark)
    a.wait_for_log("Digest 'big' (resumed): posted 25 stories in 2 messages", since=a.mark)
    time.sleep(1.5)  # a second copy would show up by now
    parts = digest_parts(fake, ALERTS)
    [ref] = {r for _, _, r in parts}
    assert parts == Counter({(1, 2, ref): 1, (2, 2, ref): 1}), "each part of the run exactly once"
    assert "resuming run" not in b.log_text(), "only the digest's owner resumes it"
