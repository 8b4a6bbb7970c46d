"""The community's signal end to end: reactions and replies on two posted stories (a message with a discussion
thread, and a forum post) land in ``signal_counts``; what changes while the bot is down is reconciled at its
restart, nothing lost or counted twice; a /news Share click counts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS, SCIENCE, fake_granting
from tests.fakediscord import EDITOR_ID, READER_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
FORUM = 200000000000000011
CREATE_PUBLIC_THREADS, MANAGE_THREADS = 1 << 35, 1 << 34
GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, MESSAGE_CONTENT = 1 << 9, 1 << 10, 1 << 15
Counts = dict[int, tuple[int, dict[str, int], int, int]]  # channel → (reactions, emoji, replies, shares)


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    server = fake_granting(CREATE_PUBLIC_THREADS | MANAGE_THREADS, forum=FORUM)
    yield server
    server.stop()


def counts(bot: BotProcess) -> Counts:
    with closing(sqlite3.connect(bot.workdir / "data" / "newsdesk.db")) as db:
        rows = db.execute("SELECT channel_id, reactions, emoji, replies, shares FROM signal_counts").fetchall()
    return {r[0]: (r[1], {k: v for k, v in json.loads(r[2]).items() if v}, r[3], r[4]) for r in rows}


def posted(bot: BotProcess) -> int:
    with closing(sqlite3.connect(bot.workdir / "data" / "newsdesk.db")) as db:
        return db.execute("SELECT count(*) FROM deliveries WHERE state = 'sent' AND message_id IS NOT NULL").fetchone()[
            0
        ]


def wait_counts(fake: FakeDiscord, bot: BotProcess, expected: Counts) -> None:
    fake.wait_for(lambda: counts(bot) == expected)


def test_reactions_and_replies_are_counted_and_survive_a_restart(fake: FakeDiscord, make_bot: MakeBot) -> None:
    channels: list[dict[str, Any]] = [
        {"id": SCIENCE, "topics": ["AI"], "thread": True},
        {"id": FORUM, "topics": ["Space"]},
    ]
    bot = make_bot(channels=channels).start()
    bot.wait_for_log("Watching ")
    write_story(bot.articles, "ai.md", 1, title="Discuss me", topics=["AI"])
    write_story(bot.articles, "space.md", 2, title="A forum story", topics=["Space"])
    intents = fake.identify_payloads[-1]["intents"]
    assert intents & GUILD_MESSAGES and intents & GUILD_MESSAGE_REACTIONS and not intents & MESSAGE_CONTENT
    thread = fake.wait_for(lambda: fake.threads(SCIENCE))[0]
    post = fake.wait_for(lambda: fake.threads(FORUM))[0]
    message = thread.id  # a discussion thread has its message's id
    fake.wait_for(lambda: posted(bot) == 2)  # both rows settled: an event now finds its story
    bot.wait_for_log("Signal counts reconciled")  # the first session's pass is over

    assert fake.add_reaction(SCIENCE, message, "👍", user_id=READER_ID)
    fake.replay_signal_events()  # a RESUME's duplicate
    assert fake.add_reaction(SCIENCE, message, ("party", 42), user_id=EDITOR_ID)
    assert fake.remove_reaction(SCIENCE, message, ("party", 42), user_id=EDITOR_ID)
    assert fake.add_reaction(post.id, post.id, "👍", user_id=READER_ID)  # on the forum post's starter message
    fake.post_reply(thread.id, READER_ID)
    fake.replay_signal_events()
    gone = fake.post_reply(thread.id, EDITOR_ID)
    fake.delete_reply(thread.id, gone)
    fake.post_reply(post.id, READER_ID)
    wait_counts(fake, bot, {SCIENCE: (1, {"👍": 1}, 1, 0), FORUM: (1, {"👍": 1}, 1, 0)})
    spec = fake.channel_spec(thread.id)
    assert spec is not None and spec.message_count == 2  # the bot's opener and one reply

    bot.stop()
    # While the bot is down: events reach nobody, only Discord's counts change.
    fake.add_reaction(SCIENCE, message, "🔥", user_id=EDITOR_ID)
    fake.remove_reaction(post.id, post.id, "👍", user_id=READER_ID)
    fake.post_reply(post.id, EDITOR_ID)
    mark, before = len(bot.lines), fake.request_count
    bot.start()
    bot.wait_for_log("Signal counts reconciled", since=mark)
    wait_counts(fake, bot, {SCIENCE: (2, {"👍": 1, "🔥": 1}, 1, 0), FORUM: (0, {}, 2, 0)})
    # Live events after the reconcile add to Discord's counts, once.
    fake.add_reaction(SCIENCE, message, "👍", user_id=EDITOR_ID)
    fake.replay_signal_events()
    wait_counts(fake, bot, {SCIENCE: (3, {"👍": 2, "🔥": 1}, 1, 0), FORUM: (0, {}, 2, 0)})
    reads = [r["path"] for r in fake.requests_since(before) if r["method"] == "GET" and "/messages/" in r["path"]]
    assert sorted(reads) == sorted(
        [f"/channels/{SCIENCE}/messages/{message}", f"/channels/{post.id}/messages/{post.id}"]
    )


def test_a_share_click_counts_for_the_channel_it_went_to(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot()
    write_story(bot.articles, "space.md", 3, title="Space story", topics=["Space"])
    bot.start()
    bot.wait_for_log("Connected to Discord as")
    sent = fake.send_interaction(2, name="news", options={"topic": "space"}, channel_id=NEWS)
    results = fake.wait_for(lambda: fake.callback_for(sent.id))
    iid = str(results["interaction_id"])
    message = fake.wait_for(
        lambda: next(m for m in fake.messages(NEWS) if (m.get("interaction_metadata") or {}).get("id") == iid)
    )
    menu = next(c for row in results["data"]["components"] for c in row["components"] if c["custom_id"] == "news:open")
    opened = fake.send_interaction(
        3,
        custom_id="news:open",
        component_type=3,
        values=[menu["options"][0]["value"]],
        message_id=int(message["id"]),
        channel_id=NEWS,
    )
    fake.wait_for(lambda: fake.callback_for(opened.id))
    shared = fake.send_interaction(3, custom_id="news:share", message_id=int(message["id"]), channel_id=NEWS)
    assert fake.wait_for(lambda: fake.callback_for(shared.id))["type"] == 4
    wait_counts(fake, bot, {NEWS: (0, {}, 0, 1)})
