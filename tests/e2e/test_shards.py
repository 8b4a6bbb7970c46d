"""Sharding end to end on SQLite: one process holding both shards serves both guilds over two gateway
connections, each guild's events arriving on its own shard's; a process holding shard 0 only posts only to
shard 0's guild and leaves the other guild's deliveries pending in the ledger."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import NEWS
from tests.fakediscord import DEFAULT_GUILD_ID, SECOND_GUILD_CHANNELS, SECOND_GUILD_ID, FakeDiscord, second_guild
from tests.fakediscord.world import default_guild
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
WORLD = SECOND_GUILD_CHANNELS[0][1]
# NEWS is in the default guild (shard 0 of 2), WORLD in the second guild (shard 1 of 2). NEWS names its guild
# in the config; WORLD's is looked up (GET /channels/{id}) and stored.
CHANNELS = [
    {"id": NEWS, "name": "news", "topics": "*", "guild": DEFAULT_GUILD_ID},
    {"id": WORLD, "name": "world", "topics": "*"},
]


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    guilds = [default_guild(), second_guild()]
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=guilds, shard_count=2).start()
    yield server
    server.stop()


def ledger(bot: BotProcess) -> list[tuple[int, str]]:
    with sqlite3.connect(bot.workdir / "data" / "newsdesk.db") as db:
        return sorted(db.execute("SELECT channel_id, state FROM deliveries"))


def stored_guilds(bot: BotProcess) -> dict[int, int]:
    with sqlite3.connect(bot.workdir / "data" / "newsdesk.db") as db:
        return dict(db.execute("SELECT channel_id, guild_id FROM channel_guilds"))


def answer(fake: FakeDiscord, channel_id: int) -> tuple[int, dict[str, object]]:
    sent = fake.send_interaction(2, name="news", options={}, channel_id=channel_id)
    return sent.id, fake.wait_for(lambda: fake.callback_for(sent.id))


def test_the_fake_tells_the_shard_count_and_shards_guilds() -> None:
    assert (DEFAULT_GUILD_ID >> 22) % 2 == 0 and (SECOND_GUILD_ID >> 22) % 2 == 1
    with FakeDiscord(token=TOKEN, shard_count=4) as server:
        request = urllib.request.Request(f"{server.api_base}/gateway/bot", headers={"Authorization": f"Bot {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
    assert body["shards"] == 4 and body["url"] == server.gateway_url
    assert set(body["session_start_limit"]) == {"total", "remaining", "reset_after", "max_concurrency"}


def test_one_process_with_both_shards_serves_both_guilds_on_their_own_connections(
    fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot(channels=CHANNELS).start(args=["--shard-count", "2", "--shard-ids", "0,1"])
    assert sorted(fake.identified_shards) == [(0, 2), (1, 2)]
    assert fake.requests_to("GET", r"^/gateway/bot") == [], "a given shard count needs no discovery"
    assert fake.shards_that_received("GUILD_CREATE", DEFAULT_GUILD_ID) == {0}
    assert fake.shards_that_received("GUILD_CREATE", SECOND_GUILD_ID) == {1}

    write_story(bot.articles, "one.md", 1, title="Everywhere at once")
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1 and len(fake.messages(WORLD)) == 1)

    for channel, shard in ((NEWS, 0), (WORLD, 1)):
        interaction_id, callback = answer(fake, channel)
        assert callback["status"] == 200 and callback["type"] == 4, f"/news answered in channel {channel}"
        assert fake.shards_that_received("INTERACTION_CREATE", payload_id=interaction_id) == {shard}
    assert stored_guilds(bot) == {NEWS: DEFAULT_GUILD_ID, WORLD: SECOND_GUILD_ID}


def test_a_process_with_shard_0_posts_only_to_shard_0s_guild(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=CHANNELS, articles={"backfill": "all"})
    bot.articles.mkdir(exist_ok=True)
    # Already there at start: queued the moment the feed starts, before the gateway has told us anything.
    write_story(bot.articles, "zero.md", 0, title="Waiting at start")
    # WORLD's lookup is slow (one 500, retried by discord.py): nothing may be queued for it until it is located.
    fake.fail_next("GET", rf"^/channels/{WORLD}$", 500)
    bot.start(args=["--shard-count", "2", "--shard-ids", "0"])
    assert fake.identified_shards == [(0, 2)]
    assert fake.shards_that_received("GUILD_CREATE") == {0}
    assert fake.received("GUILD_CREATE", guild_id=SECOND_GUILD_ID) == [], "the other guild is not ours"

    write_story(bot.articles, "one.md", 1, title="Only here")
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 2)
    fake.wait_for(lambda: ledger(bot) == [(NEWS, "sent"), (NEWS, "sent"), (WORLD, "post"), (WORLD, "post")])
    time.sleep(0.5)
    assert fake.messages(WORLD) == [], "shard 1's deliveries wait in the ledger for its owner"
    assert fake.requests_to("POST", rf"^/channels/{WORLD}/messages") == []
    # WORLD's guild was looked up once and stored, so the next start (of any process) needs no lookup.
    assert stored_guilds(bot) == {NEWS: DEFAULT_GUILD_ID, WORLD: SECOND_GUILD_ID}

    # The other guild's interactions reach no connection of this process.
    sent = fake.send_interaction(2, name="news", options={}, channel_id=WORLD)
    # A marker: the bot handles its gateway events in order, so once a later /news in NEWS is answered, an
    # answer to the first would have come by now.
    answer(fake, NEWS)
    assert fake.shards_that_received("INTERACTION_CREATE", payload_id=sent.id) == set()
    assert fake.callback_for(sent.id) is None
    bot.wait_for_log("not ours (shards 0 of 2)")


def test_an_unsharded_bot_identifies_once_and_gets_every_guild(fake: FakeDiscord, make_bot: MakeBot) -> None:
    make_bot(channels=CHANNELS).start()
    assert fake.identified_shards == [(0, 1)]
    assert fake.shards_that_received("GUILD_CREATE", DEFAULT_GUILD_ID) == {0}
    assert fake.shards_that_received("GUILD_CREATE", SECOND_GUILD_ID) == {0}
