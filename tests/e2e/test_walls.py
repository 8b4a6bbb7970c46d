"""Servers walled off, with the real bot in two servers of the fake Discord: each sees only its own part, and
the allowlist (discord.guilds) makes the bot leave any other server, at start and on join."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import AI, ALERTS, NEWS
from tests.fakediscord import (
    ADMIN_PERMISSIONS,
    DEFAULT_GUILD_ID,
    SECOND_GUILD_CHANNELS,
    SECOND_GUILD_ID,
    FakeDiscord,
    second_guild,
)
from tests.fakediscord.world import channel_object, default_guild
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
WORLD, SPORT = (cid for _name, cid in SECOND_GUILD_CHANNELS)  # server B's channels; SPORT is its alerts channel
FUTURE = "2030-01-01T09:00:00Z"


TWO_SERVERS = pytest.mark.parametrize("fake", [2], indirect=True)


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakeDiscord]:
    """Server A ("Newsroom", the operators'); with ``TWO_SERVERS`` also server B ("Sports desk", a
    stranger's), both with the bot from the start. ``make_bot`` runs the bot against this fake."""
    guilds = [default_guild(), second_guild()][: getattr(request, "param", 1)]
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=guilds).start()
    yield server
    server.stop()


def run(
    fake: FakeDiscord, guild_id: int, name: str, sub: str, options: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An admin of ``guild_id`` runs a slash command there; returns what the bot answered (a deferred
    command's follow-up, or the callback's data)."""
    options = options or []
    guild = next(g for g in fake.guilds if g.id == guild_id)
    channels = {
        str(c.id): {**channel_object(c, guild_id), "permissions": str(ADMIN_PERMISSIONS)} for c in guild.channels
    }
    resolved = {"channels": {o["value"]: channels[o["value"]] for o in options if o["type"] == 7}}
    sent = fake.send_interaction(
        2,
        name=name,
        subcommand=sub,
        options=options,
        channel_id=guild.channels[0].id,
        permissions=ADMIN_PERMISSIONS,
        resolved=resolved,
    )
    return dict(fake.answer_for(sent)["data"])


def alert_texts(fake: FakeDiscord, channel: int) -> list[str]:
    return [json.dumps(m["embeds"], ensure_ascii=False) for m in fake.messages(channel) if m["source"] == "rest"]


@TWO_SERVERS
def test_status_alerts_list_and_explain_show_each_server_only_its_own(fake: FakeDiscord, make_bot: MakeBot) -> None:
    world_route = {"id": WORLD, "name": "world", "topics": ["Sport"]}
    bot = make_bot(
        discord={"home_guild": DEFAULT_GUILD_ID},
        channels=[{"id": NEWS, "name": "news", "topics": "*"}, {"id": AI, "name": "ai", "topics": ["AI"]}, world_route],
    ).start()
    run(fake, DEFAULT_GUILD_ID, "newsdesk", "alerts", [{"name": "channel", "type": 7, "value": str(ALERTS)}])
    run(fake, SECOND_GUILD_ID, "newsdesk", "alerts", [{"name": "channel", "type": 7, "value": str(SPORT)}])

    fake.forbid_channel(WORLD)  # server B's problem: its alert goes to B only
    write_story(bot.articles, "shared.md", 1, title="Shared story", topics=["Sport"])
    write_story(bot.articles, "merger.md", 2, title="Secret merger", topics=["AI"], publishedDateTime=FUTURE)
    (bot.articles / "private-memo.md").write_text("---\ntitle: [unclosed\n---\n")  # a deployment problem: home only
    fake.wait_for(lambda: any("Missing permissions" in t for t in alert_texts(fake, SPORT)))
    fake.wait_for(lambda: any("private-memo.md" in t for t in alert_texts(fake, ALERTS)))
    fake.wait_for(lambda: [m for m in fake.messages(NEWS) if m["source"] == "rest"])
    assert not any("private-memo.md" in t for t in alert_texts(fake, SPORT)), "no file paths for a stranger"
    assert not any(str(WORLD) in t for t in alert_texts(fake, ALERTS)), "B's channel problem is B's"

    b_status = json.dumps(run(fake, SECOND_GUILD_ID, "newsdesk", "status"), ensure_ascii=False)
    assert f"<#{WORLD}>" in b_status and "Failures in the last 24 h (1)" in b_status
    for secret in (str(NEWS), str(AI), str(ALERTS), "Secret merger", "private-memo", "pid", "Cluster", "Deployment"):
        assert secret not in b_status, secret
    a_status = json.dumps(run(fake, DEFAULT_GUILD_ID, "newsdesk", "status"), ensure_ascii=False)
    assert f"<#{NEWS}>" in a_status and "Secret merger" in a_status and "Failures in the last 24 h (0)" in a_status
    assert str(WORLD) not in a_status and "private-memo" not in a_status and " pid " not in a_status
    assert "1 rejected story file" in a_status, "the home server sees the deployment's counts"

    b_list = json.dumps(run(fake, SECOND_GUILD_ID, "feed", "list"))
    a_list = json.dumps(run(fake, DEFAULT_GUILD_ID, "feed", "list"))
    assert str(WORLD) in b_list and str(NEWS) not in b_list and str(AI) not in b_list
    assert str(NEWS) in a_list and str(AI) in a_list and str(WORLD) not in a_list

    story = [{"name": "story", "type": 3, "value": "Shared story"}]
    b_explain = json.dumps(run(fake, SECOND_GUILD_ID, "feed", "explain", story))
    a_explain = json.dumps(run(fake, DEFAULT_GUILD_ID, "feed", "explain", story))
    assert str(WORLD) in b_explain and str(NEWS) not in b_explain and str(AI) not in b_explain
    assert str(NEWS) in a_explain and str(AI) in a_explain and str(WORLD) not in a_explain


@TWO_SERVERS
def test_the_allowlist_leaves_a_foreign_server_at_start_and_keeps_serving_its_own(
    fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot(discord={"guilds": [DEFAULT_GUILD_ID]}).start()
    fake.wait_for(lambda: [g.id for g in fake.departed_guilds] == [SECOND_GUILD_ID])
    assert len(fake.requests_to("DELETE", rf"^/users/@me/guilds/{SECOND_GUILD_ID}$")) == 1
    assert not fake.requests_to("DELETE", rf"^/users/@me/guilds/{DEFAULT_GUILD_ID}$")
    bot.wait_for_log(f"Leaving server {SECOND_GUILD_ID} (Sports desk): it is not in discord.guilds")
    bot.wait_for_log(f"Removed from server {SECOND_GUILD_ID}")  # GUILD_DELETE reached the bot
    write_story(bot.articles, "a.md", 1, title="Still posting at home")
    fake.wait_for(lambda: [m["embeds"][0]["title"] for m in fake.messages(NEWS)] == ["Still posting at home"])


def test_the_allowlist_leaves_a_server_that_adds_the_bot_later(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(discord={"guilds": [DEFAULT_GUILD_ID]}).start()
    assert fake.join_guild(second_guild()) == 1
    fake.wait_for(lambda: fake.requests_to("DELETE", rf"^/users/@me/guilds/{SECOND_GUILD_ID}$"))
    bot.wait_for_log(f"Leaving server {SECOND_GUILD_ID} (Sports desk)")
    assert [g.id for g in fake.departed_guilds] == [SECOND_GUILD_ID]


def test_a_listed_server_that_adds_the_bot_is_served(fake: FakeDiscord, make_bot: MakeBot) -> None:
    make_bot(discord={"guilds": [DEFAULT_GUILD_ID, SECOND_GUILD_ID]}).start()
    fake.join_guild(second_guild())
    # Answered from server B: the join was handled (events are handled in order) and the bot stayed.
    listing = json.dumps(fake.wait_for(lambda: run(fake, SECOND_GUILD_ID, "feed", "list")))
    assert "No routes yet" in listing and str(NEWS) not in listing, "server A's config routes are A's"
    assert not fake.requests_to("DELETE", r"^/users/@me/guilds/")


@TWO_SERVERS
def test_a_foreign_server_the_bot_could_not_leave_gets_no_answers(fake: FakeDiscord, make_bot: MakeBot) -> None:
    fake.fail_next("DELETE", rf"^/users/@me/guilds/{SECOND_GUILD_ID}$", 403)
    bot = make_bot(discord={"guilds": [DEFAULT_GUILD_ID]}).start()
    bot.wait_for_log(f"Could not leave server {SECOND_GUILD_ID} (Sports desk)")
    refused = run(fake, SECOND_GUILD_ID, "feed", "list")
    assert refused["content"] == "Newsdesk is not available in this server." and refused["flags"] & 64
    assert "Feed routes" in json.dumps(run(fake, DEFAULT_GUILD_ID, "feed", "list")), "its own server is served"
