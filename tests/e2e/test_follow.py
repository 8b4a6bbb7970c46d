"""Following, end to end (issue 18): the real bot process against the fake Discord. A member follows, lists,
unfollows, pauses and resumes, is told once that their DMs are closed, and forgets everything (checked in the
SQLite file); a server's admins turn following off; the Follow button on a posted story works after a restart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS
from tests.e2e.test_newsroom import command, posted, reply_text
from tests.e2e.test_roles import answer
from tests.fakediscord import EDITOR_ID, READER_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
EPHEMERAL = 1 << 6
CLOSED = "Your DMs are closed, so your follows are paused"


def follow(fake: FakeDiscord, sub: str, value: str, *, user_id: int = READER_ID, mode: str | None = None) -> str:
    options = [{"name": sub, "type": 3, "value": value}]
    if mode is not None:
        options.append({"name": "mode", "type": 3, "value": mode})
    reply = command(fake, "follow", sub, options, admin=False, user_id=user_id)
    assert reply["data"]["flags"] & EPHEMERAL, "answers to members are private"
    return str(reply["data"]["content"])


def database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "newsdesk.db", timeout=30)


def rows(tmp_path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with database(tmp_path) as conn:
        return list(conn.execute(sql, args))


def following_message(fake: FakeDiscord, reply: dict[str, Any]) -> dict[str, Any]:
    """The /following message in the channel (a follow-up of the deferred command), to click its buttons."""
    content = reply["data"]["content"]
    return next(m for m in reversed(fake.messages(NEWS)) if m["source"] == "webhook" and m["content"] == content)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {b["custom_id"]: b["label"] for row in message["components"] for b in row["components"]}


def click(fake: FakeDiscord, message: dict[str, Any], custom_id: str) -> None:
    sent = fake.send_interaction(3, custom_id=custom_id, message_id=int(message["id"]), channel_id=NEWS)
    assert answer(fake, sent)["type"] == 6, "the list is updated in place"


def test_follow_list_unfollow_pause_and_forget(fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path) -> None:
    bot = make_bot().start()
    assert "You follow AI now: new AI stories come to your DMs" in follow(fake, "topic", "AI")
    assert "personal digest" in follow(fake, "words", "quantum   leap", mode="digest")
    follow(fake, "topic", "Space", user_id=EDITOR_ID)
    assert rows(
        tmp_path, "SELECT kind, norm, value, mode FROM follows WHERE user_id = ? ORDER BY created_at", READER_ID
    ) == [
        ("topic", "ai", "AI", "instant"),
        ("words", "quantum leap", "quantum leap", "digest"),
    ]
    assert "`words`: needs at least one letter or digit" in follow(fake, "words", "!!")

    typed = fake.send_interaction(4, name="unfollow", options={"what": ""}, focused="what")
    names = [c["name"] for c in fake.wait_for(lambda: fake.callback_for(typed.id))["data"]["choices"]]
    assert names == ["AI", "the words “quantum leap”"], "only the member's own follows"

    reply = command(fake, "following", None, [], admin=False)
    assert "You follow 2 of 25" in reply_text(reply)
    message = following_message(fake, reply)
    assert buttons(message) == {
        "following:unfollow:0": "Unfollow AI",
        "following:unfollow:1": "Unfollow the words “quantum leap”",
        "following:pause": "Pause",
    }
    # Someone else's click does nothing to the list.
    refused = fake.send_interaction(
        3, custom_id="following:unfollow:0", message_id=int(message["id"]), user_id=EDITOR_ID
    )
    assert "Only the member who ran this /following" in reply_text(answer(fake, refused))

    click(fake, message, "following:unfollow:0")
    fake.wait_for(
        lambda: rows(tmp_path, "SELECT norm FROM follows WHERE user_id = ?", READER_ID) == [("quantum leap",)]
    )
    message = fake.wait_for(
        lambda: next(
            (m for m in fake.messages(NEWS) if m["id"] == message["id"] and "You follow 1 of 25" in m["content"]), None
        )
    )
    assert buttons(message) == {"following:unfollow:0": "Unfollow the words “quantum leap”", "following:pause": "Pause"}

    click(fake, message, "following:pause")
    fake.wait_for(
        lambda: (
            rows(tmp_path, "SELECT paused, paused_reason FROM member_settings WHERE user_id = ?", READER_ID)
            == [(1, "member")]
        )
    )
    message = fake.wait_for(lambda: next((m for m in fake.messages(NEWS) if "following:resume" in buttons(m)), None))
    assert "Your follows are paused" in message["content"]
    click(fake, message, "following:resume")
    fake.wait_for(lambda: rows(tmp_path, "SELECT paused FROM member_settings WHERE user_id = ?", READER_ID) == [(0,)])

    # Discord refused a DM (50007): the sender pauses the member; their next command tells them, once.
    with database(tmp_path) as conn:
        conn.execute(
            "UPDATE member_settings SET paused = 1, paused_reason = 'dms_closed', told_at = NULL WHERE user_id = ?",
            (READER_ID,),
        )
    assert follow(fake, "topic", "Climate").startswith(CLOSED)
    assert CLOSED not in reply_text(command(fake, "following", None, [], admin=False))

    settings = command(fake, "follow", "settings", [{"name": "quiet", "type": 3, "value": "22:00"}], admin=False)
    assert "`quiet`: expected HH:MM-HH:MM" in reply_text(settings)
    settings = command(fake, "follow", "settings", [{"name": "quiet", "type": 3, "value": "22:00-07:00"}], admin=False)
    assert "Quiet hours: 22:00-07:00" in reply_text(settings)

    # A DM ledger row of the member (as the sender writes them), then forget: nothing keyed by them is left.
    write_story(bot.articles, "ai.md", 1, title="AI news", topics=["AI"])
    story_id = fake.wait_for(lambda: rows(tmp_path, "SELECT id FROM stories"))[0][0]
    with database(tmp_path) as conn:
        conn.execute(
            "INSERT INTO dm_deliveries (story_id, user_id, state, reason, planned_at, attempts, version)"
            " VALUES (?, ?, 'sent', 'AI', 1.0, 0, 0)",
            (story_id, READER_ID),
        )
    forgot = reply_text(command(fake, "follow", "forget", [], admin=False))
    assert "Deleted 2 follows, your settings and 1 DM record" in forgot
    for table in ("follows", "member_settings", "dm_deliveries"):
        assert rows(tmp_path, f"SELECT count(*) FROM {table} WHERE user_id = ?", READER_ID) == [(0,)], table
    assert rows(tmp_path, "SELECT count(*) FROM follows WHERE user_id = ?", EDITOR_ID) == [(1,)], "others keep theirs"


def story_post(fake: FakeDiscord, bot: BotProcess, name: str, topics: list[str]) -> dict[str, Any]:
    """Write a story and return its post in NEWS, which carries the Follow button (one topic) or menu (several)."""
    write_story(bot.articles, f"{name}.md", len(list(bot.articles.glob("*.md"))) + 1, title=name, topics=topics)
    return fake.wait_for(lambda: next((m for m in posted(fake, NEWS) if m["embeds"][0]["title"] == name), None))


def test_follow_button_after_a_restart_and_a_server_turning_following_off(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = make_bot().start()
    one, several = story_post(fake, bot, "AI only", ["AI"]), story_post(fake, bot, "AI and space", ["AI", "Space"])
    assert "newsdesk:follow:t:AI" in json.dumps(one["components"])
    assert "newsdesk:follow:select" in json.dumps(several["components"])
    bot.stop()
    bot.start()  # nothing registered per message survives this: the dynamic items match the custom_id itself

    sent = fake.send_interaction(3, custom_id="newsdesk:follow:t:AI", message_id=int(one["id"]), channel_id=NEWS)
    clicked = fake.answer_for(sent)
    assert clicked["data"]["flags"] & EPHEMERAL
    assert "You follow AI now: new AI stories come to your DMs. /following to change." in reply_text(clicked)
    chosen = fake.send_interaction(
        3,
        custom_id="newsdesk:follow:select",
        component_type=3,
        values=["Space"],
        message_id=int(several["id"]),
        channel_id=NEWS,
    )
    assert "You follow Space now" in reply_text(fake.answer_for(chosen))
    followed = "SELECT norm, mode, guild_id IS NOT NULL FROM follows WHERE user_id = ? ORDER BY norm"
    assert rows(tmp_path, followed, READER_ID) == [("ai", "instant", 1), ("space", "instant", 1)]

    climate = story_post(fake, bot, "Climate", ["Climate"])  # posted while following is on: it has the button
    off = command(fake, "newsdesk", "personal", [{"name": "enabled", "type": 5, "value": False}])
    assert "members' existing follows made here stop" in reply_text(off)
    assert "Following is turned off in this server" in follow(fake, "topic", "Climate")
    again = fake.send_interaction(
        3, custom_id="newsdesk:follow:t:Climate", message_id=int(climate["id"]), channel_id=NEWS
    )
    assert "Following is turned off in this server" in reply_text(fake.answer_for(again))
    later = story_post(fake, bot, "More climate", ["Climate"])
    assert "newsdesk:follow" not in json.dumps(later.get("components", [])), "new posts here carry no Follow button"
    assert rows(tmp_path, "SELECT count(*) FROM follows WHERE norm = 'climate'") == [(0,)]
    member = command(fake, "newsdesk", "personal", [{"name": "enabled", "type": 5, "value": True}], admin=False)
    assert "Manage Server" in json.dumps(member["data"]), "only admins switch it"
    command(fake, "newsdesk", "personal", [{"name": "enabled", "type": 5, "value": True}])
    assert "You follow Climate now" in follow(fake, "topic", "Climate")
