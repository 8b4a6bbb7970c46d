"""Issue 19 end to end, from the gateway to the ranking: members react to and reply under two posted stories, the
bot restarts (and misses a reaction meanwhile), and then /news sort:discussed and a rank: discussed digest put the
discussed story first — the counts came from Discord's events and the restart's reconcile, not from the test."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import ALERTS, SCIENCE, fake_granting
from tests.e2e.test_digest import ask, digest_titles, text
from tests.e2e.test_rank import hours_ago, titles_listed
from tests.fakediscord import EDITOR_ID, READER_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
CREATE_PUBLIC_THREADS = 1 << 35


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    """The default server, where the bot may also open discussion threads."""
    server = fake_granting(CREATE_PUBLIC_THREADS)
    yield server
    server.stop()


def totals(bot: BotProcess) -> dict[str, tuple[int, int]]:
    """Title → (reactions, replies) as stored."""
    with closing(sqlite3.connect(bot.workdir / "data" / "newsdesk.db")) as db:
        rows = db.execute(
            "SELECT s.title, c.reactions, c.replies FROM signal_counts c JOIN stories s ON s.id = c.story_id"
        ).fetchall()
    return {title: (reactions, replies) for title, reactions, replies in rows}


def posted_threads(fake: FakeDiscord) -> dict[str, int]:
    """Story title → its discussion thread's id (a thread's id is its message's id), once both are there."""
    by_id = {int(m["id"]): m for m in fake.messages(SCIENCE)}
    found = {by_id[t.id]["embeds"][0]["title"]: t.id for t in fake.threads(SCIENCE) if t.id in by_id}
    return found if len(found) == 2 else {}


def test_reactions_and_replies_rank_news_and_the_digest_across_a_restart(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=[{"id": SCIENCE, "topics": ["AI"], "thread": True}]).start()
    bot.wait_for_log("Watching ")
    # The quiet story is newer and better by quality: without the community's signal it always comes first.
    write_story(
        bot.articles, "quiet.md", 1, title="Quiet story", topics=["AI"], quality=90, publishedDateTime=hours_ago(1)
    )
    write_story(
        bot.articles, "loud.md", 2, title="Loud story", topics=["AI"], quality=20, publishedDateTime=hours_ago(2)
    )
    threads = fake.wait_for(lambda: posted_threads(fake))
    bot.wait_for_log("Signal counts reconciled")
    loud, quiet = threads["Loud story"], threads["Quiet story"]

    assert fake.add_reaction(SCIENCE, loud, "👍", user_id=READER_ID)
    assert fake.add_reaction(SCIENCE, loud, "🔥", user_id=EDITOR_ID)
    fake.replay_signal_events()  # a RESUME's duplicates change nothing
    fake.post_reply(loud, READER_ID)
    fake.post_reply(loud, EDITOR_ID)
    assert fake.add_reaction(SCIENCE, quiet, "👍", user_id=READER_ID)
    # The first reactions may come the instant the posts are on Discord, before their ledger rows settle.
    fake.wait_for(lambda: totals(bot) == {"Loud story": (2, 2), "Quiet story": (1, 0)})

    bot.stop()
    fake.add_reaction(SCIENCE, loud, "🎉", user_id=READER_ID)  # while the bot is down: no event reaches it
    mark = len(bot.lines)
    bot.start()
    bot.wait_for_log("Signal counts reconciled", since=mark)
    fake.wait_for(lambda: totals(bot) == {"Loud story": (3, 2), "Quiet story": (1, 0)})

    latest = fake.answer_for(fake.send_interaction(2, name="news", options={}, channel_id=SCIENCE))
    assert titles_listed(latest["data"]["embeds"][0]) == ["Quiet story", "Loud story"]
    sent = fake.send_interaction(2, name="news", options={"sort": "discussed"}, channel_id=SCIENCE)
    assert titles_listed(fake.answer_for(sent)["data"]["embeds"][0]) == ["Loud story", "Quiet story"]

    assert "Scheduled digest **talk**" in text(
        ask(fake, "schedule", name="talk", channel=ALERTS, time="09:00", rank="discussed")
    )
    assert "Posted 2 stories" in text(ask(fake, "run", name="talk"))
    [digest] = fake.messages(ALERTS)
    assert digest["embeds"][1]["title"] == "Most discussed"
    assert "Loud story" in digest["embeds"][1]["description"]
    assert digest_titles({"embeds": digest["embeds"][1:]}) == ["Loud story", "Quiet story"]
