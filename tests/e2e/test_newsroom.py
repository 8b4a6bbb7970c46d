"""Running the newsroom from Discord: /feed routes, topic pings, /subscribe, refusals and alerts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import AI, ALERTS, NEWS, SCIENCE
from tests.fakediscord import (
    ADMIN_PERMISSIONS,
    DEFAULT_ROLE_ID,
    EDITOR_ID,
    MEMBER_PERMISSIONS,
    READER_ID,
    FakeDiscord,
)
from tests.fakediscord.world import channel_object, role_object
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
ADMIN_COMMANDS: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("feed", "add", [{"name": "channel", "type": 7, "value": str(SCIENCE)}]),
    ("feed", "remove", [{"name": "channel", "type": 7, "value": str(NEWS)}]),
    ("feed", "list", []),
    ("feed", "test", [{"name": "channel", "type": 7, "value": str(NEWS)}]),
    ("feed", "backfill", [{"name": "channel", "type": 7, "value": str(NEWS)}]),
    (
        "feed",
        "ping",
        [{"name": "topic", "type": 3, "value": "AI"}, {"name": "role", "type": 8, "value": str(DEFAULT_ROLE_ID)}],
    ),
    ("feed", "unping", [{"name": "topic", "type": 3, "value": "AI"}]),
    ("newsdesk", "status", []),
    ("newsdesk", "alerts", [{"name": "channel", "type": 7, "value": str(ALERTS)}]),
]


def resolved(fake: FakeDiscord, options: list[dict[str, Any]]) -> dict[str, Any]:
    guild = fake.guilds[0]
    # Discord adds the invoking member's permissions in that channel to resolved channels.
    channels = {
        str(c.id): {**channel_object(c, guild.id), "permissions": str(ADMIN_PERMISSIONS)} for c in guild.channels
    }
    roles = {str(r.id): role_object(r) for r in guild.roles}
    return {
        "channels": {o["value"]: channels[o["value"]] for o in options if o["type"] == 7},
        "roles": {o["value"]: roles[o["value"]] for o in options if o["type"] == 8},
    }


def command(
    fake: FakeDiscord,
    name: str,
    sub: str | None,
    options: list[dict[str, Any]],
    *,
    admin: bool = True,
    permissions: int | None = None,
    user_id: int = READER_ID,
) -> dict[str, Any]:
    """Run a slash command as a member and return what it answered: the interaction callback, its ``data``
    replaced by the follow-up when the command deferred (``FakeDiscord.answer_for``)."""
    sent = fake.send_interaction(
        2,
        name=name,
        subcommand=sub,
        options=options,
        permissions=permissions if permissions is not None else ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS,
        resolved=resolved(fake, options),
        user_id=user_id,
    )
    return fake.answer_for(sent)


def posted(fake: FakeDiscord, channel: int) -> list[dict[str, Any]]:
    """Messages the bot posted (not interaction replies, which Discord also shows in the channel)."""
    return [m for m in fake.messages(channel) if m["source"] == "rest"]


def reply_text(callback: dict[str, Any]) -> str:
    return json.dumps(callback["data"], ensure_ascii=False)


def test_feed_add_routes_new_stories_and_remove_stops_them(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    reply = command(
        fake,
        "feed",
        "add",
        [
            {"name": "channel", "type": 7, "value": str(SCIENCE)},
            {"name": "topics", "type": 3, "value": "Space, Physics"},
        ],
    )
    assert "Space" in reply_text(reply) and reply["data"]["flags"] & 64  # ephemeral
    write_story(bot.articles, "space.md", 1, topics=["space"], title="Comet spotted")
    fake.wait_for(lambda: [m["embeds"][0]["title"] for m in posted(fake, SCIENCE)] == ["Comet spotted"])
    listing = command(fake, "feed", "list", [])
    assert str(SCIENCE) in reply_text(listing) and "config file" in reply_text(listing)

    command(fake, "feed", "remove", [{"name": "channel", "type": 7, "value": str(SCIENCE)}])
    write_story(bot.articles, "space2.md", 2, topics=["Space"], title="Second comet")
    fake.wait_for(lambda: any(m["embeds"][0]["title"] == "Second comet" for m in posted(fake, NEWS)))
    time.sleep(0.3)
    assert len(posted(fake, SCIENCE)) == 1
    refused = command(fake, "feed", "remove", [{"name": "channel", "type": 7, "value": str(NEWS)}])
    assert "config file" in reply_text(refused)


def test_topic_role_pings_exactly_that_role_and_subscribe_adds_it(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    # Bound by the server's owner: a role may be bound only by someone it sits below (or the owner).
    bound = command(
        fake,
        "feed",
        "ping",
        [
            {"name": "topic", "type": 3, "value": "Space"},
            {"name": "role", "type": 8, "value": str(DEFAULT_ROLE_ID)},
        ],
        user_id=EDITOR_ID,
    )
    assert "subscribe" in reply_text(bound)
    write_story(bot.articles, "space.md", 1, topics=["Space"], title="@everyone launch day <@&999>")
    message = fake.wait_for(lambda: next(iter(posted(fake, NEWS)), None))
    assert message["allowed_mentions"]["roles"] == [str(DEFAULT_ROLE_ID)]
    assert message["allowed_mentions"]["parse"] == []
    assert message["pinged"] == [f"<@&{DEFAULT_ROLE_ID}>"]

    reply = command(fake, "subscribe", None, [{"name": "topic", "type": 3, "value": "space"}], admin=False)
    assert "pinged" in reply_text(reply)
    change = fake.wait_for(lambda: fake.role_changes)[0]
    assert int(change["role_id"]) == DEFAULT_ROLE_ID and int(change["user_id"]) == READER_ID

    fake.forbid_roles()
    refused = command(fake, "subscribe", None, [{"name": "topic", "type": 3, "value": "Space"}], admin=False)
    assert "Manage Roles" in reply_text(refused)


@pytest.mark.parametrize(("group", "sub", "options"), ADMIN_COMMANDS, ids=[f"{g}-{s}" for g, s, _ in ADMIN_COMMANDS])
def test_members_without_manage_server_are_refused(
    fake: FakeDiscord, make_bot: MakeBot, group: str, sub: str, options: list[dict[str, Any]]
) -> None:
    make_bot().start()
    reply = command(fake, group, sub, options, admin=False)
    assert reply["type"] == 4 and reply["data"]["flags"] & 64
    assert "Manage Server" in reply_text(reply)
    listing = command(fake, "feed", "list", [])
    assert str(SCIENCE) not in reply_text(listing), "a refused command changes nothing"


def test_forbidden_channel_raises_one_alert_and_other_routes_keep_posting(fake: FakeDiscord, make_bot: MakeBot) -> None:
    fake.forbid_channel(AI)
    bot = make_bot(alerts={"channel": ALERTS}).start()
    for n in range(3):
        write_story(bot.articles, f"{n}.md", n, topics=["AI"], quality=90)
    fake.wait_for(lambda: len(posted(fake, NEWS)) == 3)
    alert = fake.wait_for(lambda: next(iter(posted(fake, ALERTS)), None))
    assert "Missing permissions" in alert["embeds"][0]["title"] and str(AI) in alert["embeds"][0]["description"]
    time.sleep(1.0)
    assert len(posted(fake, ALERTS)) == 1, "at most one alert per problem per hour"
    status = command(fake, "newsdesk", "status", [])
    assert status["type"] == 5  # deferred: the report reads the database
    followup = fake.wait_for(lambda: fake.requests_to("POST", r"^/webhooks/"))[0]["json"]
    assert "Failures in the last 24 h (3)" in json.dumps(followup)
