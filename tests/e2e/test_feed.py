"""The real bot process against the fake Discord: files in, messages out, exactly once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import AI, NEWS, is_marker, settle_news, without_markers
from tests.fakediscord import FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]


def titles(fake: FakeDiscord, channel: int) -> list[str]:
    return sorted(m["embeds"][0]["title"] for m in without_markers(fake.messages(channel)))


def posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    """The bot's message POSTs, the markers' left out."""
    return [
        r
        for r in fake.requests
        if r["method"] == "POST" and r["path"].endswith("/messages") and not is_marker(r["json"] or {})
    ]


def test_dropped_file_becomes_one_message_with_the_right_embed(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "ai/first.md", 1, title="Robots learn to read", topics=["AI", "Robotics"], quality=64)
    fake.wait_for(lambda: len(fake.messages(AI)) == 1 and len(fake.messages(NEWS)) == 1)
    message = fake.messages(NEWS)[0]
    embed = message["embeds"][0]
    assert embed["title"] == "Robots learn to read"
    assert embed["url"] == "https://news.example/2026/story-1"
    assert embed["author"]["name"] == "Example News"
    assert embed["image"]["url"] == "https://news.example/img/1.jpg"
    assert embed["timestamp"].startswith("2026-11-02T01:00:00")
    field_text = json.dumps(embed.get("fields", []))
    assert "Robotics" in field_text and "Related coverage 1" in field_text
    assert message["nonce"] and message["allowed_mentions"]["parse"] == []
    request = posts(fake)[0]["json"]
    assert request["enforce_nonce"] is True
    assert "U0VDUkVU" not in json.dumps(fake.requests), "secured content must never be sent"
    settle_news(fake, bot)
    assert len(titles(fake, NEWS)) == 1, "posted exactly once"


def test_unpublished_is_not_posted_until_flipped(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "draft.md", 1, published=False, title="Embargoed")
    write_story(bot.articles, "live.md", 2, title="Live now")
    fake.wait_for(lambda: titles(fake, NEWS) == ["Live now"])
    settle_news(fake, bot)
    assert titles(fake, NEWS) == ["Live now"]
    write_story(bot.articles, "draft.md", 1, published=True, title="Embargoed")
    fake.wait_for(lambda: titles(fake, NEWS) == ["Embargoed", "Live now"])


def test_restart_posts_nothing_twice_and_catches_up(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    for n in range(3):
        write_story(bot.articles, f"{n}.md", n)
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 3 and len(fake.messages(AI)) == 3)
    assert bot.stop() == 0
    write_story(bot.articles, "while-down.md", 7, title="Written while the bot was down")
    bot.start()
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 4 and len(fake.messages(AI)) == 4)
    settle_news(fake, bot)
    assert len(titles(fake, NEWS)) == 4
    assert len(posts(fake)) == 3 * 2 + 2  # three to both channels, then one to both


def test_changed_story_edits_and_unpublished_story_deletes(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "a.md", 1, topics=["Space"], title="First take")
    fake.wait_for(lambda: titles(fake, NEWS) == ["First take"])
    message_id = fake.messages(NEWS)[0]["id"]
    write_story(bot.articles, "a.md", 1, topics=["Space"], title="Second take")
    fake.wait_for(lambda: titles(fake, NEWS) == ["Second take"])
    assert fake.messages(NEWS)[0]["id"] == message_id
    # The fake logs a request once it has answered it: the edited message can be seen a moment before its PATCH.
    fake.wait_for(lambda: any(r["method"] == "PATCH" and message_id in r["path"] for r in fake.requests))
    write_story(bot.articles, "a.md", 1, topics=["Space"], title="Second take", published=False)
    fake.wait_for(lambda: fake.messages(NEWS) == [])
    assert len(posts(fake)) == 1


def test_malformed_file_is_reported_and_others_still_post(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    (bot.articles / "broken.md").write_text("---\ntitle: [unclosed\nexcerpt: x\n---\n")
    (bot.articles / "notitle.txt").write_text("---\nexcerpt: no title here\n---\n")
    write_story(bot.articles, "good.md", 1, title="Still posted")
    fake.wait_for(lambda: titles(fake, NEWS) == ["Still posted"])
    bot.wait_for_log("broken.md: broken YAML")
    bot.wait_for_log("notitle.txt: title: missing")
    assert bot.proc is not None and bot.proc.poll() is None


def test_429_and_500_are_retried_and_nothing_is_lost(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    fake.fail_next("POST", rf"/channels/{NEWS}/messages", 429, count=1, retry_after=0.3)
    fake.fail_next("POST", rf"/channels/{NEWS}/messages", 500, count=2)
    for n in range(3):
        write_story(bot.articles, f"{n}.md", n, topics=["Space"])
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 3)
    settle_news(fake, bot)
    assert titles(fake, NEWS) == [f"Story number {n}" for n in range(3)]
    assert fake.count_429 >= 1


def test_everyone_in_title_pings_nobody(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "ping.md", 1, title="@everyone look <@&300000000000000001> @here", excerpt="@everyone")
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1)
    message = fake.messages(NEWS)[0]
    assert message["pinged"] == []
    assert message["mention_everyone"] is False and message["mention_roles"] == []


def test_forbidden_channel_does_not_block_other_channels(fake: FakeDiscord, make_bot: MakeBot) -> None:
    fake.forbid_channel(AI)
    bot = make_bot().start()
    for n in range(3):
        write_story(bot.articles, f"{n}.md", n, quality=90)
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 3)
    bot.wait_for_log("Missing Permissions")
    assert fake.messages(AI) == []


@pytest.mark.slow
def test_sigkill_in_a_burst_of_50_then_each_story_exactly_once(fake: FakeDiscord, make_bot: MakeBot) -> None:
    fake.set_channel_rate((10, 1.0))  # slow enough that the kill lands mid-burst
    bot = make_bot(channels=[{"id": NEWS, "topics": "*"}]).start()
    for n in range(50):
        write_story(bot.articles, f"burst/{n:02d}.md", n, topics=["Space"])
    fake.wait_for(lambda: len(fake.messages(NEWS)) >= 12)
    bot.kill()
    sent_before = len(fake.messages(NEWS))
    assert sent_before < 50, "the kill must land in the middle of the burst"
    bot.start()
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 50, timeout=60)
    settle_news(fake, bot)
    found = titles(fake, NEWS)
    assert found == sorted(f"Story number {n}" for n in range(50))
    assert len(found) == len(set(found)) == 50
