"""/news end to end: the real bot process answers slash commands, autocomplete and buttons from the fake Discord."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import NEWS, default_config
from tests.fakediscord import DEFAULT_GUILD_ID, EDITOR_ID, READER_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
EPHEMERAL = 1 << 6
AI_TITLES = {f"AI story {n}" for n in range(12)}


@pytest.fixture
def news_bot(fake: FakeDiscord, make_bot: MakeBot) -> BotProcess:
    """A bot whose archive holds 12 published AI stories, 3 Space stories and an unpublished AI draft."""
    bot = make_bot()
    (bot.articles).mkdir(exist_ok=True)
    for n in range(12):
        write_story(bot.articles, f"ai/{n}.md", n, title=f"AI story {n}", topics=["AI", "Robotics"])
    for n in range(3):
        write_story(bot.articles, f"space/{n}.md", 100 + n, title=f"Space story {n}", topics=["Space"])
    write_story(bot.articles, "draft.md", 200, title="AI draft", topics=["AI"], published=False)
    bot.start()
    bot.wait_for_log("Connected to Discord as")
    return bot


def command(fake: FakeDiscord, options: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    sent = fake.send_interaction(2, name="news", options=options, channel_id=NEWS, **kwargs)
    return fake.wait_for(lambda: fake.callback_for(sent.id))


def press(fake: FakeDiscord, message: dict[str, Any], custom_id: str, **kwargs: Any) -> dict[str, Any]:
    sent = fake.send_interaction(3, custom_id=custom_id, message_id=int(message["id"]), channel_id=NEWS, **kwargs)
    return fake.wait_for(lambda: fake.callback_for(sent.id))


def response_message(fake: FakeDiscord, callback: dict[str, Any]) -> dict[str, Any]:
    """The message the fake created for an interaction's response."""
    iid = str(callback["interaction_id"])
    return next(m for m in fake.messages(NEWS) if (m.get("interaction_metadata") or {}).get("id") == iid)


def listed(embed: dict[str, Any]) -> list[str]:
    """Titles linked in a result page, in order."""
    return [line.split("[", 1)[1].split("](", 1)[0] for line in embed["description"].split("\n\n")]


def components(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["custom_id"]: c for row in data.get("components", []) for c in row["components"] if "custom_id" in c}


def test_topic_search_lists_only_that_topic_and_pages_for_its_owner_only(
    fake: FakeDiscord, news_bot: BotProcess
) -> None:
    first = command(fake, {"topic": "AI"})
    assert first["status"] == 200 and first["type"] == 4
    assert first["data"]["flags"] & EPHEMERAL, "results are ephemeral by default"
    embed = first["data"]["embeds"][0]
    assert embed["title"] == "News: topic AI"
    assert len(listed(embed)) == 10 and set(listed(embed)) <= AI_TITLES
    assert embed["footer"]["text"] == "Page 1 of 2 · 12 stories"
    buttons = components(first["data"])
    assert buttons["news:page"]["label"] == "1/2" and buttons["news:next"].get("disabled") is not True
    assert len(buttons["news:open"]["options"]) == 10

    message = response_message(fake, first)
    refused = press(fake, message, "news:next", user_id=EDITOR_ID)
    assert refused["type"] == 4 and refused["data"]["flags"] & EPHEMERAL
    assert "Only the member who ran" in refused["data"]["content"]
    assert response_message(fake, first)["edits"] == [], "a refused press changes nothing"

    second = press(fake, message, "news:next", user_id=READER_ID)
    assert second["status"] == 200 and second["type"] == 7
    page_two = second["data"]["embeds"][0]
    assert page_two["footer"]["text"] == "Page 2 of 2 · 12 stories"
    assert len(listed(page_two)) == 2 and set(listed(embed)) | set(listed(page_two)) == AI_TITLES
    assert components(second["data"])["news:next"]["disabled"] is True
    assert response_message(fake, first)["embeds"][0]["footer"]["text"] == "Page 2 of 2 · 12 stories"


def test_topic_autocomplete_offers_counted_choices(fake: FakeDiscord, news_bot: BotProcess) -> None:
    sent = fake.send_interaction(4, name="news", options={"topic": "a"}, focused="topic", channel_id=NEWS)
    callback = fake.wait_for(lambda: fake.callback_for(sent.id))
    assert callback["status"] == 200 and callback["type"] == 8
    assert callback["data"]["choices"][0] == {"name": "AI (12)", "value": "AI"}
    sent = fake.send_interaction(4, name="news", options={"provider": "exa"}, focused="provider", channel_id=NEWS)
    callback = fake.wait_for(lambda: fake.callback_for(sent.id))
    assert callback["data"]["choices"] == [{"name": "Example News (15)", "value": "Example News"}]


@pytest.mark.parametrize(
    ("query", "finds_space"),
    [('"unbalanced NEAR( * OR', False), ("((*)) OR AND", True), ("😀 " * 40, True), ("x" * 500, False)],
)
def test_hostile_query_gets_a_normal_answer(
    fake: FakeDiscord, news_bot: BotProcess, query: str, finds_space: bool
) -> None:
    callback = command(fake, {"query": query})
    assert callback["status"] == 200 and callback["type"] == 4
    assert callback["data"]["content"].startswith("No published stories match")
    # Next to a real word the syntax is inert: only the query's own words (if any) have to match too.
    found = command(fake, {"query": f"{query} space"})
    assert found["status"] == 200 and found["type"] == 4
    if finds_space:
        assert sorted(listed(found["data"]["embeds"][0])) == [f"Space story {n}" for n in range(3)]
    else:
        assert found["data"]["content"].startswith("No published stories match")
    assert "/news" not in news_bot.log_text(), "nothing about /news was logged as a failure"


def test_opening_and_sharing_a_story_posts_the_feed_embed_publicly(fake: FakeDiscord, news_bot: BotProcess) -> None:
    first = command(fake, {"topic": "space"})
    message = response_message(fake, first)
    option = components(first["data"])["news:open"]["options"][0]
    sent = fake.send_interaction(
        3,
        custom_id="news:open",
        component_type=3,
        values=[option["value"]],
        message_id=int(message["id"]),
        channel_id=NEWS,
    )
    opened = fake.wait_for(lambda: fake.callback_for(sent.id))
    assert opened["type"] == 7
    story = opened["data"]["embeds"][0]
    assert story["title"] == option["label"] and story["url"].startswith("https://news.example/2026/story-10")
    assert story["author"]["name"] == "Example News" and "Related coverage" in str(story.get("fields"))
    assert {"news:back", "news:share"} <= set(components(opened["data"]))

    shared = press(fake, message, "news:share")
    assert shared["type"] == 4 and not shared["data"].get("flags", 0) & EPHEMERAL
    assert shared["data"]["embeds"][0]["title"] == story["title"]
    public = response_message(fake, shared)
    assert public["embeds"][0]["title"] == story["title"] and public["pinged"] == []


def test_public_results_and_nothing_found_with_suggestions(fake: FakeDiscord, news_bot: BotProcess) -> None:
    public = command(fake, {"provider": "example news", "days": 3650, "public": True})
    assert public["type"] == 4 and not public["data"].get("flags", 0) & EPHEMERAL
    assert "news:share" not in components(public["data"])
    missing = command(fake, {"topic": "Robtics"})
    assert missing["type"] == 4 and missing["data"]["flags"] & EPHEMERAL
    assert "No published stories match topic Robtics" in missing["data"]["content"]
    assert "**Robotics**" in missing["data"]["content"]
    assert command(fake, {"query": "draft"})["data"]["content"].startswith("No published stories match")


def test_commands_are_not_synced_at_start_and_sync_guild_publishes_news(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = make_bot().start()
    bot.wait_for_log("Connected to Discord as")
    assert fake.commands() == [] and fake.commands(DEFAULT_GUILD_ID) == []
    bot.stop()
    (tmp_path / "articles").mkdir(exist_ok=True)
    config = tmp_path / "sync.yaml"
    config.write_text(yaml.safe_dump(default_config(tmp_path)))
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "sync", "--guild", str(DEFAULT_GUILD_ID)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "/news" in done.stdout
    assert "news" in [c["name"] for c in fake.commands(DEFAULT_GUILD_ID)]
    assert fake.commands() == [], "a guild sync publishes nothing globally"
    assert TOKEN not in done.stdout + done.stderr


def test_sync_guilds_in_config_syncs_at_start(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(discord={"sync_guilds": [DEFAULT_GUILD_ID]}).start()
    bot.wait_for_log("Synced")
    news = next(c for c in fake.commands(DEFAULT_GUILD_ID) if c["name"] == "news")
    assert {o["name"] for o in news["options"]} == {"topic", "query", "provider", "days", "public", "sort"}
    assert fake.commands() == []
