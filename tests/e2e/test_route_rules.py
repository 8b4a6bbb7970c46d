"""Route rules end to end: config and /feed add rules decide what lands where, /feed explain says why, and
routing follows edits."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import AI, NEWS, SCIENCE
from tests.e2e.test_newsroom import command, posted, reply_text
from tests.fakediscord import ADMIN_PERMISSIONS, DEFAULT_ROLE_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def titles(fake: FakeDiscord, channel: int) -> list[str]:
    return [m["embeds"][0]["title"] if m["embeds"] else m["content"] for m in posted(fake, channel)]


def status_followup(fake: FakeDiscord) -> str:
    before = len(fake.requests_to("POST", r"^/webhooks/"))
    command(fake, "newsdesk", "status", [])
    return json.dumps(fake.wait_for(lambda: fake.requests_to("POST", r"^/webhooks/")[before:])[0]["json"])


def test_config_rules_keep_a_channel_readable(fake: FakeDiscord, make_bot: MakeBot) -> None:
    channels = [
        {"id": NEWS, "name": "news", "topics": "*", "exclude_words": ["crypto"], "max_age": "48h", "daily_cap": 2},
        {
            "id": AI,
            "name": "ai",
            "topics": ["AI"],
            "style": "compact",
            "color": "#5865f2",
            "roles": [DEFAULT_ROLE_ID],
            "ping_min_heat": 60,
        },
    ]
    bot = make_bot(channels=channels).start()
    write_story(bot.articles, "old.md", 1, title="Old news", publishedDateTime="2020-01-01T00:00:00Z", topics=["X"])
    write_story(bot.articles, "coin.md", 2, title="Crypto rally", publishedDateTime=now_iso(), topics=["X"])
    write_story(bot.articles, "hot.md", 3, title="Hot AI", publishedDateTime=now_iso(), heat=80)
    write_story(bot.articles, "mild.md", 4, title="Mild AI", publishedDateTime=now_iso(), heat=10)
    fake.wait_for(lambda: sorted(titles(fake, AI)) == ["Hot AI", "Mild AI"])
    fake.wait_for(lambda: sorted(titles(fake, NEWS)) == ["Hot AI", "Mild AI"])  # the cap of 2 is now reached
    write_story(bot.articles, "late.md", 5, title="Over the cap", publishedDateTime=now_iso(), topics=["X"])
    # The status report (a deferred reply: its followup) counts the story the cap kept out, once planned.
    fake.wait_for(lambda: "Skipped over a daily cap" in status_followup(fake))
    assert sorted(titles(fake, NEWS)) == ["Hot AI", "Mild AI"]  # no old file, no crypto, nothing over the cap

    by_title = {m["embeds"][0]["title"]: m for m in posted(fake, AI)}
    hot, mild = by_title["Hot AI"], by_title["Mild AI"]
    assert hot["pinged"] == [f"<@&{DEFAULT_ROLE_ID}>"] and mild["pinged"] == []  # only hot stories ping
    assert hot["embeds"][0]["color"] == 0x5865F2 and "description" not in hot["embeds"][0]  # compact


def test_feed_add_rules_explain_and_list(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    channel = {"name": "channel", "type": 7, "value": str(SCIENCE)}
    bad = command(fake, "feed", "add", [channel, {"name": "max_age", "type": 3, "value": "forever"}])
    assert "`max_age`: expected a number and a unit" in reply_text(bad)
    reply = command(
        fake,
        "feed",
        "add",
        [
            channel,
            {"name": "exclude_words", "type": 3, "value": "crypto, nft"},
            {"name": "style", "type": 3, "value": "link"},
        ],
    )
    assert "exclude_words crypto, nft" in reply_text(reply) and "style link" in reply_text(reply)
    write_story(bot.articles, "coin.md", 1, title="NFT market dips", publishedDateTime=now_iso())
    write_story(bot.articles, "comet.md", 2, title="Comet spotted", publishedDateTime=now_iso())
    fake.wait_for(lambda: len(posted(fake, NEWS)) == 2)
    fake.wait_for(lambda: len(posted(fake, SCIENCE)) == 1)
    line = posted(fake, SCIENCE)[0]
    assert line["embeds"] == [] and line["content"] == "Comet spotted — https://news.example/2026/story-2"

    listing = command(fake, "feed", "list", [])
    assert "exclude_words crypto, nft; style link" in reply_text(listing)

    sent = fake.send_interaction(
        4,
        name="feed",
        subcommand="explain",
        options={"story": "nft"},
        focused="story",
        permissions=ADMIN_PERMISSIONS,
    )
    choices = fake.wait_for(lambda: fake.callback_for(sent.id))["data"]["choices"]
    assert [c["name"] for c in choices] == ["NFT market dips"]
    answer = command(fake, "feed", "explain", [{"name": "story", "type": 3, "value": choices[0]["value"]}])
    text = reply_text(answer)
    assert f"<#{SCIENCE}>: excluded word: nft" in text and f"<#{NEWS}>: posted there" in text
    assert f"<#{AI}>: posted there" in text


def test_routing_follows_edits(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "a.md", 1, title="Model release", quality=50, publishedDateTime=now_iso())
    fake.wait_for(lambda: titles(fake, AI) == ["Model release"] and titles(fake, NEWS) == ["Model release"])
    write_story(bot.articles, "a.md", 1, title="Model release, revised", quality=30, publishedDateTime=now_iso())
    fake.wait_for(lambda: titles(fake, NEWS) == ["Model release, revised"])
    fake.wait_for(lambda: titles(fake, AI) == [])  # quality 30 < 40: the AI route's message is deleted
    write_story(bot.articles, "a.md", 1, title="Model release, final", quality=60, publishedDateTime=now_iso())
    fake.wait_for(lambda: titles(fake, AI) == ["Model release, final"])
    # Each channel has its own send queue: NEWS's edit may land just after AI's post.
    fake.wait_for(lambda: titles(fake, NEWS) == ["Model release, final"])
