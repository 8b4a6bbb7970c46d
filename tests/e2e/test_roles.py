"""Roles, admin autocompletes and /news cooldowns, end to end (issue 20 points 1, 3 and 7): the real bot process
against the fake Discord, as a hostile member, an admin without Manage Roles and a script would try."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import NEWS
from tests.e2e.test_newsroom import command, posted, reply_text
from tests.fakediscord import (
    ADMIN_PERMISSIONS,
    DEFAULT_ROLE_ID,
    EDITOR_ID,
    MEMBER_PERMISSIONS,
    READER_ID,
    FakeDiscord,
    RoleSpec,
    SentInteraction,
)
from tests.fakediscord.world import default_guild
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
KICK_MEMBERS, MANAGE_MESSAGES, MANAGE_GUILD = 1 << 1, 1 << 13, 1 << 5
MODERATORS, READERS = 300000000000000010, 300000000000000011
EPHEMERAL = 1 << 6


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    """The default server plus "Moderators" (Kick Members, Manage Messages) and "Readers" (no permissions), both
    below the bot's role; the editor owns the server, the reader has no role."""
    guild = default_guild()
    guild.roles += [
        RoleSpec(id=MODERATORS, name="Moderators", permissions=KICK_MEMBERS | MANAGE_MESSAGES, position=1),
        RoleSpec(id=READERS, name="Readers", position=1),
    ]
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=[guild]).start()
    yield server
    server.stop()


def ping(topic: str, role: int) -> list[dict[str, Any]]:
    return [{"name": "topic", "type": 3, "value": topic}, {"name": "role", "type": 8, "value": str(role)}]


def subscribe(fake: FakeDiscord, topic: str) -> dict[str, Any]:
    return command(fake, "subscribe", None, [{"name": "topic", "type": 3, "value": topic}], admin=False)


def complete(fake: FakeDiscord, name: str, sub: str, field: str, typed: str, permissions: int) -> list[dict[str, Any]]:
    sent = fake.send_interaction(
        4, name=name, subcommand=sub, options={field: typed}, focused=field, permissions=permissions
    )
    callback = fake.wait_for(lambda: fake.callback_for(sent.id))
    assert callback["type"] == 8
    return list(callback["data"]["choices"])


def test_feed_ping_binds_only_harmless_roles_and_subscribe_checks_again(fake: FakeDiscord, make_bot: MakeBot) -> None:
    make_bot().start()
    refused = command(fake, "feed", "ping", ping("Space", MODERATORS), user_id=EDITOR_ID)
    assert refused["data"]["flags"] & EPHEMERAL
    assert "Moderators" in reply_text(refused) and "Kick Members, Manage Messages" in reply_text(refused)

    manage_server_only = MEMBER_PERMISSIONS | MANAGE_GUILD
    no_roles = command(fake, "feed", "ping", ping("Space", READERS), permissions=manage_server_only)
    assert "Manage Roles" in reply_text(no_roles)
    # An administrator who is not the owner, with no role above "Readers", cannot hand it out either.
    outranked = command(fake, "feed", "ping", ping("Space", READERS))
    assert "not below your highest role" in reply_text(outranked)
    assert "Space" not in reply_text(command(fake, "feed", "list", [])), "nothing refused was bound"

    bound = command(fake, "feed", "ping", ping("Space", READERS), user_id=EDITOR_ID)
    assert "subscribe" in reply_text(bound)
    # An admin gives the bound role a permission afterwards: /subscribe checks the role again and refuses.
    fake.update_role(READERS, permissions=KICK_MEMBERS)
    again = subscribe(fake, "Space")
    assert again["data"]["flags"] & EPHEMERAL
    assert "Readers" in reply_text(again) and "Kick Members" in reply_text(again)
    assert fake.role_changes == []
    fake.update_role(READERS, permissions=0)
    assert "pinged" in reply_text(subscribe(fake, "Space"))
    change = fake.wait_for(lambda: fake.role_changes)[0]
    assert int(change["role_id"]) == READERS and int(change["user_id"]) == READER_ID


def test_config_roles_are_checked_at_start_and_a_bad_one_never_pings(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=[{"id": NEWS, "name": "news", "topics": "*", "roles": [MODERATORS, DEFAULT_ROLE_ID]}])
    bot.start()
    line = bot.wait_for_log("channels[0].roles[0]")
    assert f"role {MODERATORS} grants permissions (Kick Members, Manage Messages): not bound" in line
    assert "channels[0].roles[1]" not in bot.log_text()
    write_story(bot.articles, "launch.md", 1, title="Launch day")
    message = fake.wait_for(lambda: next(iter(posted(fake, NEWS)), None))
    assert message["allowed_mentions"]["roles"] == [str(DEFAULT_ROLE_ID)]
    assert message["pinged"] == [f"<@&{DEFAULT_ROLE_ID}>"]


def test_admin_autocompletes_answer_members_nothing(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "secret.md", 1, title="SECRET draft merger", published=False)
    names = fake.wait_for(
        lambda: [c["name"] for c in complete(fake, "feed", "explain", "story", "SECRET", ADMIN_PERMISSIONS)]
    )
    assert names == ["SECRET draft merger"], "admins may explain an unpublished story"
    assert complete(fake, "feed", "explain", "story", "SECRET", MEMBER_PERMISSIONS) == []
    assert complete(fake, "feed", "add", "timezone", "vien", ADMIN_PERMISSIONS)
    assert complete(fake, "feed", "add", "timezone", "vien", MEMBER_PERMISSIONS) == []
    assert complete(fake, "digest", "schedule", "timezone", "vien", ADMIN_PERMISSIONS)
    assert complete(fake, "digest", "schedule", "timezone", "vien", MEMBER_PERMISSIONS) == []


def test_a_burst_of_news_is_slowed_for_that_member_only(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot()
    bot.articles.mkdir(exist_ok=True)
    for n in range(12):
        write_story(bot.articles, f"ai/{n}.md", n, title=f"AI story {n}", topics=["AI"])
    bot.start()
    bot.wait_for_log("Connected to Discord as")
    first = news(fake, READER_ID)
    assert first["data"]["embeds"], "the archive is listed"
    message = next(m for m in fake.messages(NEWS) if m.get("interaction_metadata", {}).get("id") == str(first["id"]))
    # A script: twelve commands, then eight clicks on the result's buttons, as fast as the gateway delivers them.
    commands = [fake.send_interaction(2, name="news", options={}, channel_id=NEWS) for _ in range(12)]
    clicks = [
        fake.send_interaction(3, custom_id="news:next", message_id=int(message["id"]), channel_id=NEWS)
        for _ in range(8)
    ]
    answered = [answer(fake, sent) for sent in commands]
    clicked = [answer(fake, sent) for sent in clicks]
    slowed = [a for a in answered if "try again <t:" in (a["data"].get("content") or "")]
    assert slowed and all(a["data"]["flags"] & EPHEMERAL for a in slowed)
    assert slowed[0]["data"]["content"].endswith(":R>."), "a Discord timestamp says when"
    assert len(answered) - len(slowed) >= 8, "the first ones of the burst are answered"
    assert any("try again <t:" in (a["data"].get("content") or "") for a in clicked), "buttons share the budget"
    # Another member is answered as usual meanwhile.
    other = news(fake, EDITOR_ID)
    assert other["data"]["embeds"] and "try again" not in json.dumps(other["data"])


def answer(fake: FakeDiscord, sent: SentInteraction) -> dict[str, Any]:
    return fake.wait_for(lambda: fake.callback_for(sent.id))


def news(fake: FakeDiscord, user_id: int) -> dict[str, Any]:
    sent = fake.send_interaction(2, name="news", options={}, channel_id=NEWS, user_id=user_id)
    return {**fake.wait_for(lambda: fake.callback_for(sent.id)), "id": sent.id}
