"""Personal news at its edges, end to end (issue 18): the Follow component under every posted story (plain,
webhook and forum posts alike), and /news from a member's own install of the app, in a DM with the bot, in a
group DM and in a server, with what ``newsdesk sync`` declares for it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import NEWS, SCIENCE, default_config, fake_granting
from tests.fakediscord import READER_ID, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
FORUM = 200000000000000011
MANAGE_WEBHOOKS, CREATE_PUBLIC_THREADS = 1 << 29, 1 << 35
EPHEMERAL = 1 << 6
DM_CHANNEL = 300000000000000001  # the reader's DM with the bot
GROUP_DM = 300000000000000002


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    """The default server plus a forum, the bot allowed to make webhooks and threads."""
    server = fake_granting(MANAGE_WEBHOOKS | CREATE_PUBLIC_THREADS, forum=FORUM)
    yield server
    server.stop()


def follow_items(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for row in message.get("components") or []
        for c in row["components"]
        if str(c.get("custom_id", "")).startswith("newsdesk:follow:")
    ]


def titled(messages: list[dict[str, Any]], title: str) -> dict[str, Any] | None:
    return next((m for m in messages if m.get("embeds") and m["embeds"][0]["title"] == title), None)


def test_posted_stories_carry_the_follow_button_or_select(fake: FakeDiscord, make_bot: MakeBot) -> None:
    channels = [
        {"id": NEWS, "topics": ["AI", "Space"]},
        {"id": SCIENCE, "topics": ["Space"], "webhook": True},
        {"id": FORUM, "topics": ["Space"]},
    ]
    bot = make_bot(channels=channels).start()
    write_story(bot.articles, "one.md", 1, title="One topic", topics=["AI"])
    write_story(bot.articles, "two.md", 2, title="Two topics", topics=["Space", "AI", "space"])
    one = fake.wait_for(lambda: titled(fake.messages(NEWS), "One topic"))
    assert follow_items(one) == [{"type": 2, "style": 2, "label": "Follow AI", "custom_id": "newsdesk:follow:t:AI"}], (
        "one topic: a secondary button"
    )
    assert one["components"][0]["components"][0]["style"] == 5, "the link buttons' row stays first"

    two = fake.wait_for(lambda: titled(fake.messages(NEWS), "Two topics"))
    (select,) = follow_items(two)
    assert (select["type"], select["custom_id"]) == (3, "newsdesk:follow:select")
    assert select["placeholder"] == "Follow a topic…"
    assert [o["value"] for o in select["options"]] == ["Space", "AI"]

    # Through the channel's own webhook (with_components, or Discord drops them) and as a forum post's starter.
    hooked = fake.wait_for(lambda: titled(fake.messages(SCIENCE), "Two topics"))
    assert hooked.get("webhook_id") and [c["custom_id"] for c in follow_items(hooked)] == ["newsdesk:follow:select"]
    post = fake.wait_for(lambda: fake.threads(FORUM))[0]
    starter = fake.messages(post.id)[0]
    assert [c["custom_id"] for c in follow_items(starter)] == ["newsdesk:follow:select"]


def test_personal_news_off_leaves_the_follow_component_out(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(personal={"enabled": False}).start()
    write_story(bot.articles, "one.md", 1, title="No follow here", topics=["AI"])
    message = fake.wait_for(lambda: titled(fake.messages(NEWS), "No follow here"))
    assert follow_items(message) == [] and message["components"][0]["components"][0]["style"] == 5


def sync_globally(tmp_path: Path, fake: FakeDiscord) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "sync.yaml"
    (tmp_path / "articles").mkdir(exist_ok=True)
    config.write_text(yaml.safe_dump(default_config(tmp_path)))
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": fake.api_base}
    command = [sys.executable, "-m", "bot", "--config", str(config), "sync"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_sync_declares_news_installable_by_members_and_admin_commands_server_only(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    done = sync_globally(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    (sent,) = fake.requests_to("PUT", rf"^/applications/{fake.application_id}/commands$")
    body = {c["name"]: c for c in sent["json"]}
    assert sorted(body["news"]["integration_types"]) == [0, 1]
    assert sorted(body["news"]["contexts"]) == [0, 1, 2]
    for admin in ("feed", "newsdesk", "digest"):
        assert body[admin]["contexts"] == [0], admin  # guild-only: never offered in DMs
        assert body[admin].get("integration_types") in (None, [0]), admin
    kept = {c["name"]: c for c in fake.commands()}
    assert sorted(kept["news"]["integration_types"]) == [0, 1], "the fake keeps what was declared"


@pytest.fixture
def dm_bot(tmp_path: Path, fake: FakeDiscord, make_bot: MakeBot) -> BotProcess:
    """Commands synced globally (as a user install needs), then a bot whose archive holds three AI stories."""
    assert sync_globally(tmp_path, fake).returncode == 0
    bot = make_bot()
    bot.articles.mkdir(exist_ok=True)
    for n in range(3):
        write_story(bot.articles, f"ai/{n}.md", n, title=f"AI story {n}", topics=["AI"])
    bot.start()
    bot.wait_for_log("Connected to Discord as")
    return bot


def test_news_in_a_dm_with_the_bot_answers_the_member(fake: FakeDiscord, dm_bot: BotProcess) -> None:
    sent = fake.send_interaction(
        2, name="news", options={"topic": "AI"}, channel_id=DM_CHANNEL, context=1, user_install=True
    )
    payload = fake.interaction_payload(sent.id)
    assert "guild_id" not in payload and "member" not in payload and payload["user"]["id"] == str(READER_ID)
    answer = fake.answer_for(sent)
    assert answer["status"] == 200, answer
    embed = answer["data"]["embeds"][0]
    assert embed["title"] == "News: topic AI" and embed["footer"]["text"] == "Page 1 of 1 · 3 stories"
    # Discord honours the flag outside servers too (in a group DM it keeps the answer from the others): kept.
    assert answer["data"]["flags"] & EPHEMERAL

    typed = fake.send_interaction(
        4, name="news", options={"topic": "a"}, focused="topic", channel_id=DM_CHANNEL, context=1, user_install=True
    )
    choices = fake.wait_for(lambda: fake.callback_for(typed.id))
    assert choices["status"] == 200 and choices["data"]["choices"][0] == {"name": "AI (3)", "value": "AI"}

    message = next(
        m for m in fake.messages(DM_CHANNEL) if (m.get("interaction_metadata") or {}).get("id") == str(sent.id)
    )
    assert message["interaction_metadata"]["authorizing_integration_owners"] == {"1": str(READER_ID)}
    opened = fake.send_interaction(
        3,
        custom_id="news:open",
        component_type=3,
        values=[str(message["components"][1]["components"][0]["options"][0]["value"])],
        message_id=int(message["id"]),
        channel_id=DM_CHANNEL,
        context=1,
        user_install=True,
    )
    shown = fake.wait_for(lambda: fake.callback_for(opened.id))
    assert shown["status"] == 200 and shown["type"] == 7, shown
    assert shown["data"]["embeds"][0]["title"].startswith("AI story")


def test_news_from_a_user_install_in_a_group_dm_and_in_a_server(fake: FakeDiscord, dm_bot: BotProcess) -> None:
    group = fake.send_interaction(2, name="news", options={"query": "story"}, channel_id=GROUP_DM, context=2)
    answer = fake.answer_for(group)
    assert answer["status"] == 200 and answer["data"]["flags"] & EPHEMERAL
    assert answer["data"]["embeds"][0]["footer"]["text"] == "Page 1 of 1 · 3 stories"

    here = fake.send_interaction(2, name="news", options={"topic": "AI"}, channel_id=NEWS, user_install=True)
    assert fake.interaction_payload(here.id)["authorizing_integration_owners"] == {"1": str(READER_ID)}
    assert fake.answer_for(here)["data"]["embeds"][0]["title"] == "News: topic AI"


def test_the_fake_refuses_a_dm_interaction_for_a_server_only_command(fake: FakeDiscord, dm_bot: BotProcess) -> None:
    # Discord never offers /feed outside a server; a test that asks for it is wrong, and the fake says so.
    with pytest.raises(ValueError, match="not offered in context 1"):
        fake.send_interaction(2, name="feed", subcommand="list", channel_id=DM_CHANNEL, context=1, user_install=True)
