"""Channel kinds end to end (issue #11): forum posts with topic tags, announcement crossposts and their limit,
discussion threads, and provider identity through one webhook per channel. Each: post, edit, unpublish, and a
restart that posts nothing again."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import ALERTS, NEWS, SCIENCE
from tests.fakediscord import FakeDiscord
from tests.fakediscord.world import BOT_PERMISSIONS, BOT_ROLE_ID, ChannelSpec, default_guild
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
FORUM, ANNOUNCE = 200000000000000011, 200000000000000012
MANAGE_CHANNELS, MANAGE_WEBHOOKS, MANAGE_THREADS, CREATE_PUBLIC_THREADS = 1 << 4, 1 << 29, 1 << 34, 1 << 35
TAGS = {"AI": "700000000000000001", "Security": "700000000000000002", "Science": "700000000000000003"}


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    guild = default_guild()
    guild.channels += [
        ChannelSpec(
            id=FORUM,
            name="stories",
            type=15,
            available_tags=[
                {
                    "id": i,
                    "name": n.lower() if n == "AI" else n,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for n, i in TAGS.items()
            ],
        ),
        ChannelSpec(id=ANNOUNCE, name="announcements", type=5),
    ]
    bot_role = guild.role(BOT_ROLE_ID)
    assert bot_role is not None
    bot_role.permissions = BOT_PERMISSIONS | MANAGE_CHANNELS | MANAGE_WEBHOOKS | MANAGE_THREADS | CREATE_PUBLIC_THREADS
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=[guild]).start()
    yield server
    server.stop()


def restart_posts_nothing(bot: BotProcess, fake: FakeDiscord) -> None:
    before = len(fake.requests_to("POST", r"^/(channels|webhooks)/"))
    bot.stop()
    mark = len(bot.lines)
    bot.start()
    assert "0 deliveries pending" in bot.wait_for_log("Watching ", since=mark)
    # A fresh story to a text channel shows the send queues ran after the restart.
    write_story(bot.articles, "sentinel.md", 99, title="Sentinel", topics=["Sentinel"])
    fake.wait_for(lambda: any(m["embeds"][0]["title"] == "Sentinel" for m in fake.messages(NEWS)))
    posts = fake.requests_to("POST", r"^/(channels|webhooks)/")[before:]
    assert [p["path"] for p in posts] == [f"/channels/{NEWS}/messages"], "a restart posted something again"


def route(channel_id: int, topics: object = ("AI", "Science"), **options: object) -> dict[str, object]:
    # Not "*": the sentinel story of restart_posts_nothing goes to NEWS only.
    return {"id": channel_id, "topics": list(topics) if isinstance(topics, tuple) else topics, **options}


SENTINEL = route(NEWS, ["Sentinel"])


def test_forum_post_with_matching_tags_edit_unpublish_restart(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=[route(FORUM, auto_archive_duration=4320), SENTINEL]).start()
    title = "A forum story " + "x" * 120
    write_story(bot.articles, "one.md", 1, title=title, topics=["AI", "security", "Climate"])
    post = fake.wait_for(lambda: fake.threads(FORUM))[0]
    assert post.name == title[:99] + "…" and len(post.name) == 100
    assert sorted(post.applied_tags) == sorted([TAGS["AI"], TAGS["Security"]]), "exactly the matching tags"
    assert post.auto_archive_duration == 4320
    starter = fake.messages(post.id)[0]
    assert int(starter["id"]) == post.id and starter["embeds"][0]["title"].startswith("A forum story")
    assert not fake.requests_to("POST", rf"^/channels/{FORUM}/messages$"), "no plain message to a forum"

    write_story(bot.articles, "one.md", 1, title="Renamed forum story", topics=["Science"])
    fake.wait_for(lambda: getattr(fake.channel_spec(post.id), "name", None) == "Renamed forum story")
    assert (spec := fake.channel_spec(post.id)) is not None and spec.applied_tags == [TAGS["Science"]]
    fake.wait_for(lambda: fake.messages(post.id)[0]["embeds"][0]["title"] == "Renamed forum story")

    restart_posts_nothing(bot, fake)
    assert len(fake.threads(FORUM)) == 1

    write_story(bot.articles, "one.md", 1, title="Renamed forum story", topics=["Science"], published=False)
    fake.wait_for(lambda: not fake.threads(FORUM))
    assert fake.requests_to("DELETE", rf"^/channels/{post.id}$")


def test_forum_creates_missing_topic_tags(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=[route(FORUM, create_tags=True)]).start()
    write_story(bot.articles, "one.md", 1, title="Climate story", topics=["Climate", "AI"])
    post = fake.wait_for(lambda: fake.threads(FORUM))[0]
    forum = fake.channel_spec(FORUM)
    assert forum is not None
    tags = {t["name"]: t["id"] for t in forum.available_tags}
    assert "Climate" in tags and len(tags) == 4
    assert sorted(post.applied_tags) == sorted([tags["Climate"], TAGS["AI"]])


def test_announcement_crossposts_until_the_limit_without_blocking(fake: FakeDiscord, make_bot: MakeBot) -> None:
    fake.set_crosspost_limit(1)
    bot = make_bot(channels=[route(ANNOUNCE, ["AI"], publish=True), SENTINEL]).start()
    write_story(bot.articles, "one.md", 1, title="First announcement")
    fake.wait_for(lambda: fake.messages(ANNOUNCE) and fake.messages(ANNOUNCE)[0]["flags"] & 1)
    write_story(bot.articles, "two.md", 2, title="Second announcement")
    write_story(bot.articles, "three.md", 3, title="Third announcement")
    fake.wait_for(lambda: len(fake.messages(ANNOUNCE)) == 3)
    bot.wait_for_log("stays unpublished")
    fake.wait_for(lambda: len(fake.requests_to("POST", r"/crosspost$")) == 3)
    published = [m["embeds"][0]["title"] for m in fake.messages(ANNOUNCE) if m["flags"] & 1]
    assert published == ["First announcement"]
    status = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(bot.workdir / "newsdesk.yaml"), "status"],
        env={**os.environ, "DISCORD_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        cwd=bot.workdir,
        timeout=60,
    ).stdout
    assert f"channel {ANNOUNCE}: 2 not crossposted: Discord's crosspost limit" in status, status

    write_story(bot.articles, "one.md", 1, title="First announcement, edited")
    fake.wait_for(lambda: fake.messages(ANNOUNCE)[0]["embeds"][0]["title"] == "First announcement, edited")
    restart_posts_nothing(bot, fake)
    write_story(bot.articles, "two.md", 2, title="Second announcement", published=False)
    fake.wait_for(lambda: len(fake.messages(ANNOUNCE)) == 2)


def test_discussion_thread_under_each_story(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=[route(SCIENCE, thread=True, auto_archive_duration=60), SENTINEL]).start()
    write_story(bot.articles, "one.md", 1, title="Discuss me")
    message = fake.wait_for(lambda: fake.messages(SCIENCE))[0]
    thread = fake.wait_for(lambda: fake.threads(SCIENCE))[0]
    assert thread.id == int(message["id"]) and thread.name == "Discuss me" and thread.auto_archive_duration == 60
    opener = fake.wait_for(lambda: fake.messages(thread.id))[0]
    assert "Related coverage 1" in opener["content"] and "https://other.example/1" in opener["content"]

    write_story(bot.articles, "one.md", 1, title="Discuss me again")
    fake.wait_for(lambda: fake.messages(SCIENCE)[0]["embeds"][0]["title"] == "Discuss me again")
    restart_posts_nothing(bot, fake)
    assert len(fake.threads(SCIENCE)) == 1

    write_story(bot.articles, "one.md", 1, title="Discuss me again", published=False)
    fake.wait_for(lambda: not fake.messages(SCIENCE) and not fake.threads(SCIENCE))


def test_webhook_route_posts_as_the_provider_through_one_webhook(fake: FakeDiscord, make_bot: MakeBot) -> None:
    providers = {"news.example": {"avatar": "https://news.example/logo.png"}}
    bot = make_bot(channels=[route(SCIENCE, webhook=True, thread=True), SENTINEL], providers=providers).start()
    write_story(bot.articles, "one.md", 1, title="Via webhook one")
    write_story(
        bot.articles, "two.md", 2, title="Via webhook two", provider={"name": "Discord Daily", "domain": "dd.example"}
    )
    fake.wait_for(lambda: len(fake.messages(SCIENCE)) == 2)
    assert len(fake.webhooks) == 1, "one webhook for the channel, never one per story"
    first, second = sorted(fake.messages(SCIENCE), key=lambda m: m["embeds"][0]["title"])
    assert first["author"]["username"] == "Example News"
    assert first["author"]["avatar_url"] == "https://news.example/logo.png"
    assert second["author"]["username"].replace("\u200b", "") == "Discord Daily"
    assert all(r["query"].get("wait") == "true" for r in fake.requests_to("POST", r"^/webhooks/"))
    fake.wait_for(lambda: len(fake.threads(SCIENCE)) == 2)  # webhook and thread work together

    write_story(bot.articles, "one.md", 1, title="Via webhook one, edited")
    fake.wait_for(lambda: any(m["embeds"][0]["title"] == "Via webhook one, edited" for m in fake.messages(SCIENCE)))
    assert fake.requests_to("PATCH", r"^/webhooks/\d+/[^/]+/messages/\d+$")

    restart_posts_nothing(bot, fake)
    assert len(fake.webhooks) == 1 and not fake.requests_to("GET", r"/webhooks$")[1:], "reused across restarts"

    write_story(bot.articles, "one.md", 1, title="Via webhook one, edited", published=False)
    fake.wait_for(lambda: len(fake.messages(SCIENCE)) == 1)
    assert fake.requests_to("DELETE", r"^/webhooks/\d+/[^/]+/messages/\d+$")
    assert len(fake.threads(SCIENCE)) == 1
    assert fake.webhooks[0]["token"] not in bot.log_text(), "the webhook token is never logged"


def test_webhook_without_manage_webhooks_falls_back_with_one_alert(fake: FakeDiscord, make_bot: MakeBot) -> None:
    fake.set_overwrites(SCIENCE, [{"id": BOT_ROLE_ID, "type": 0, "deny": MANAGE_WEBHOOKS}])
    bot = make_bot(channels=[route(SCIENCE, webhook=True)], alerts={"channel": ALERTS}).start()
    write_story(bot.articles, "one.md", 1, title="Plain after all")
    write_story(bot.articles, "two.md", 2, title="Plain again")
    fake.wait_for(lambda: len(fake.messages(SCIENCE)) == 2)
    assert all(m["author"]["id"] == str(fake.bot_id) for m in fake.messages(SCIENCE))
    alerts = fake.wait_for(lambda: fake.messages(ALERTS))
    assert len(alerts) == 1 and "Manage Webhooks" in alerts[0]["embeds"][0]["description"]
    assert not fake.webhooks
