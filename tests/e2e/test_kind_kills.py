"""Exactly once for every channel kind (issue 17.3): the bot is SIGKILLed while Discord holds the one request
that makes a forum post, a webhook message, a discussion thread or a crosspost, either before Discord acts (the
request is then dropped: nothing was made) or after Discord acted and before its answer leaves (the bot never
learns the id). The restarted bot makes each thing exactly once, and the ledger holds the real one (an edit of the
story lands on it). Last, hostile markdown in every text field of a story, through each kind (issue 20.6)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import SCIENCE
from tests.fakediscord import FakeDiscord
from tests.fakediscord.world import BOT_PERMISSIONS, BOT_ROLE_ID, ChannelSpec, default_guild
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
FORUM, ANNOUNCE = 200000000000000011, 200000000000000012
MANAGE_CHANNELS, MANAGE_WEBHOOKS, MANAGE_THREADS, CREATE_PUBLIC_THREADS = 1 << 4, 1 << 29, 1 << 34, 1 << 35
TITLE, EDITED = "Killed mid-post", "Killed mid-post, edited"


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    guild = default_guild()
    guild.channels += [
        ChannelSpec(id=FORUM, name="stories", type=15),
        ChannelSpec(id=ANNOUNCE, name="announcements", type=5),
    ]
    bot_role = guild.role(BOT_ROLE_ID)
    assert bot_role is not None
    bot_role.permissions = BOT_PERMISSIONS | MANAGE_CHANNELS | MANAGE_WEBHOOKS | MANAGE_THREADS | CREATE_PUBLIC_THREADS
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=[guild]).start()
    yield server
    server.stop()


def embed_titles(fake: FakeDiscord, channel: int) -> list[str]:
    return [str(m["embeds"][0]["title"]) for m in fake.messages(channel) if m.get("embeds")]


def one_forum_post(fake: FakeDiscord) -> list[str]:
    posts = fake.threads(FORUM)
    assert len(posts) == 1, f"one forum post, not {len(posts)}"
    return embed_titles(fake, posts[0].id)


def one_webhook_message(fake: FakeDiscord) -> list[str]:
    messages = fake.messages(SCIENCE)
    assert len(messages) == 1 and messages[0].get("webhook_id"), f"one webhook message, not {len(messages)}"
    return embed_titles(fake, SCIENCE)


def one_message_with_thread_and_opener(fake: FakeDiscord) -> list[str]:
    messages, threads = fake.messages(SCIENCE), fake.threads(SCIENCE)
    assert len(messages) == 1 and len(threads) == 1, f"{len(messages)} messages, {len(threads)} threads"
    openers = fake.messages(threads[0].id)
    assert len(openers) == 1 and "Related coverage" in openers[0]["content"], "one opener in the thread"
    return embed_titles(fake, SCIENCE)


def one_crossposted_message(fake: FakeDiscord) -> list[str]:
    messages = fake.messages(ANNOUNCE)
    assert len(messages) == 1 and messages[0]["flags"] & 1, "one message, crossposted"
    done = [r for r in fake.requests_to("POST", r"/crosspost$") if r["status"] == 200]
    assert len(done) == 1, f"crossposted once, not {len(done)} times"
    return embed_titles(fake, ANNOUNCE)


@dataclass(frozen=True)
class Kind:
    route: dict[str, object]
    held: str  # the request the kill interrupts (regex on the path)
    made_once: Callable[[FakeDiscord], list[str]]  # asserts one of each thing; the titles of the story's posts


KINDS = {
    "forum post": Kind({"id": FORUM, "topics": ["AI"]}, rf"^/channels/{FORUM}/threads$", one_forum_post),
    "webhook message": Kind(
        {"id": SCIENCE, "topics": ["AI"], "webhook": True}, r"^/webhooks/\d+/[^/]+$", one_webhook_message
    ),
    "discussion thread": Kind(
        {"id": SCIENCE, "topics": ["AI"], "thread": True},
        rf"^/channels/{SCIENCE}/messages/\d+/threads$",
        one_message_with_thread_and_opener,
    ),
    "announcement post": Kind(
        {"id": ANNOUNCE, "topics": ["AI"], "publish": True},
        rf"^/channels/{ANNOUNCE}/messages$",
        one_crossposted_message,
    ),
    "crosspost": Kind({"id": ANNOUNCE, "topics": ["AI"], "publish": True}, r"/crosspost$", one_crossposted_message),
}


@pytest.mark.parametrize("answered", [False, True], ids=["before Discord acts", "after Discord acted"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_kill_at_the_call_makes_it_exactly_once(
    fake: FakeDiscord, make_bot: MakeBot, kind: str, answered: bool
) -> None:
    spec = KINDS[kind]
    bot = make_bot(channels=[spec.route]).start()
    fake.hold("POST", spec.held, answered=answered)
    write_story(bot.articles, "one.md", 1, title=TITLE)
    fake.wait_for(lambda: fake.held_requests == 1)
    bot.kill()
    fake.release_holds()  # the held answer goes nowhere: its sender is dead
    fake.wait_for(lambda: fake.held_requests == 0)

    bot.start()
    if answered:  # found in Discord and recorded, not made again
        found = "was published before the restart" if kind == "crosspost" else "adopted message"
        bot.wait_for_log(found, since=bot.mark)
    fake.wait_for(lambda: _settled(fake, spec))
    assert spec.made_once(fake) == [TITLE]

    # The ledger holds the real post: an edit of the story lands on it, and still nothing is made twice.
    write_story(bot.articles, "one.md", 1, title=EDITED)
    fake.wait_for(lambda: _edited(fake, spec))
    assert spec.made_once(fake) == [EDITED]


def _settled(fake: FakeDiscord, spec: Kind) -> bool:
    try:
        spec.made_once(fake)
    except AssertionError:
        return False
    return True


def _edited(fake: FakeDiscord, spec: Kind) -> bool:
    try:
        return spec.made_once(fake) == [EDITED]
    except AssertionError:
        return False


def test_a_forum_post_archived_while_the_bot_was_down_is_still_found(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(channels=[KINDS["forum post"].route]).start()
    fake.hold("POST", KINDS["forum post"].held, answered=True)
    write_story(bot.articles, "one.md", 1, title=TITLE)
    fake.wait_for(lambda: fake.held_requests == 1)
    bot.kill()
    fake.release_holds()
    [post] = fake.threads(FORUM)
    fake.archive_thread(post.id)  # down longer than the post's auto-archive time

    bot.start()
    bot.wait_for_log("adopted message", since=bot.mark)
    assert [t.id for t in fake.threads(FORUM)] == [post.id]
    assert fake.requests_to("GET", rf"^/channels/{FORUM}/threads/archived/public$")
    assert not [r for r in fake.requests_to("POST", r"^/channels/\d+/threads$") if r["status"] < 300][1:]
    assert re.search(rf"adopted message {post.id} ", bot.log_text())


HOSTILE = "[click me](https://evil.example/x) @everyone ```fence``` ||spoiler|| # heading > quote: Discord"


def test_hostile_markdown_in_every_field_reaches_no_kind_live(fake: FakeDiscord, make_bot: MakeBot) -> None:
    """Issue 20.6 through the fake: a webhook message with a discussion thread, and a forum post."""
    bot = make_bot(
        channels=[{"id": SCIENCE, "topics": ["AI"], "webhook": True, "thread": True}, {"id": FORUM, "topics": ["AI"]}]
    ).start()
    hostile = {"title": HOSTILE, "webUrl": "https://other.example/1", "provider": {"name": HOSTILE}}
    write_story(
        bot.articles,
        "evil.md",
        1,
        title=HOSTILE,
        excerpt=f"{HOSTILE}\n# heading\n> quote",
        provider={"name": HOSTILE, "domain": "news.example"},
        related=[hostile],
    )
    [message] = fake.wait_for(lambda: fake.messages(SCIENCE))
    [thread] = fake.wait_for(lambda: fake.threads(SCIENCE))
    [opener] = fake.wait_for(lambda: fake.messages(thread.id))
    [post] = fake.wait_for(lambda: fake.threads(FORUM))
    [starter] = fake.wait_for(lambda: fake.messages(post.id))

    username = message["author"]["username"]
    assert not any(bad in username for bad in ("@", "#", ":", "```")) and "discord" not in username.lower()
    for text in (message["embeds"][0]["description"], opener["content"], starter["embeds"][0]["description"]):
        assert "\\[click me\\]" in text and "```" not in text and "||" not in text
        assert not any(line.startswith(("#", ">")) for line in text.split("\n"))
    assert "](https://other.example/1)" in opener["content"], "the related story's own link stays a link"
    assert not message["mention_everyone"] and not opener["mention_everyone"] and not starter["mention_everyone"]
    for name in (thread.name, post.name):
        assert "\n" not in name and "@everyone" not in name and len(name) <= 100
