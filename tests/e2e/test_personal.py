"""Issue 18 end to end, from the member's commands to their DMs: follows made with /follow and with a posted
story's Follow button bring the next matching story as exactly one DM; a member whose DMs are closed is paused
and told so once, the next time they use a command."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS, settle_news
from tests.e2e.test_follow import CLOSED, follow
from tests.e2e.test_newsroom import command, reply_text
from tests.fakediscord import EDITOR_ID, READER_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]


def paused(tmp_path: Path, user_id: int) -> tuple[bool, str | None] | None:
    with closing(sqlite3.connect(tmp_path / "data" / "newsdesk.db", timeout=30)) as db:
        row = db.execute("SELECT paused, paused_reason FROM member_settings WHERE user_id = ?", (user_id,)).fetchone()
    return None if row is None else (bool(row[0]), row[1])


def test_a_follow_from_a_command_and_from_a_button_each_bring_one_dm(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = make_bot().start()
    bot.wait_for_log("Watching ")
    assert "You follow AI now" in follow(fake, "topic", "AI")
    assert "You follow" in follow(fake, "words", "story number")  # a second follow the same story matches

    write_story(bot.articles, "1.md", 1, topics=["AI"])
    [dm] = fake.wait_for(lambda: fake.server.dms.messages_to(READER_ID))
    assert dm["content"] == "You follow AI" and dm["embeds"][0]["title"] == "Story number 1"
    assert not any(c.get("custom_id", "").startswith("newsdesk:follow") for row in dm.get("components", []) for c in
                   row["components"]), "a DM carries no Follow button"  # fmt: skip

    # Another member follows Space from the button on a posted Space story, then gets the next Space story.
    write_story(bot.articles, "2.md", 2, topics=["Space"], title="Rockets")
    posted = fake.wait_for(
        lambda: next(m for m in fake.messages(NEWS) if m.get("embeds") and m["embeds"][0]["title"] == "Rockets")
    )
    button = next(c for row in posted["components"] for c in row["components"] if c.get("custom_id"))
    assert button["custom_id"] == "newsdesk:follow:t:Space" and button["label"] == "Follow Space"
    clicked = fake.send_interaction(
        3, custom_id=button["custom_id"], message_id=int(posted["id"]), channel_id=NEWS, user_id=EDITOR_ID
    )
    assert "You follow Space now" in reply_text(fake.answer_for(clicked))
    write_story(bot.articles, "3.md", 3, topics=["Space"], title="More rockets")
    [space] = fake.wait_for(lambda: fake.server.dms.messages_to(EDITOR_ID))
    assert space["content"] == "You follow Space" and space["embeds"][0]["title"] == "More rockets"

    settle_news(fake, bot)
    assert len(fake.server.dms.messages_to(READER_ID)) == 1, "once per member per story, however many follows match"
    assert len(fake.server.dms.messages_to(EDITOR_ID)) == 1, "the story posted before the follow is not sent"


def test_closed_dms_pause_the_member_who_is_told_once(fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path) -> None:
    bot = make_bot().start()
    bot.wait_for_log("Watching ")
    follow(fake, "topic", "AI")
    fake.server.dms.close_dms(READER_ID)
    write_story(bot.articles, "1.md", 1, topics=["AI"])
    fake.wait_for(lambda: paused(tmp_path, READER_ID) == (True, "dms_closed"))

    first = reply_text(command(fake, "following", None, [], admin=False))
    assert CLOSED in first, "told the next time they use a command"
    again = reply_text(command(fake, "following", None, [], admin=False))
    assert CLOSED not in again, "and only once"
    assert fake.server.dms.messages_to(READER_ID) == []
