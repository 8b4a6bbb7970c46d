"""Adopting what a crash left in Discord, per channel kind (issue 17.3): a forum post found by its starter message,
a message's discussion thread finished without a second opener, crossposts resumed only where not done, and the
mark that makes a restart look before a post without a nonce. The HTTP client is a stub; the store is real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cluster.adopt import Adopter
from bot.config import KindOptions
from bot.send.kinds.payloads import ChannelInfo, ChannelKind
from bot.store import DeliveryState, Store
from tests.unit.test_kinds_deliverer import BOT, CHANNEL, Http, deliverer, delivery

LINK = "https://news.example/2026/story-1"  # tests/storyfiles.py's story 1
STARTER = {"id": "900", "author": {"id": str(BOT)}, "embeds": [{"url": LINK}]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    yield opened
    opened.close()


class History:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages

    async def recent_messages(self, channel_id: int, limit: int = 50) -> list[dict[str, Any]]:
        return self.messages


async def test_a_forum_post_is_found_by_its_starter_message_among_active_threads(store: Store) -> None:
    threads = {"threads": [{"id": "800", "parent_id": "77"}, {"id": "900", "parent_id": str(CHANNEL), "name": "x"}]}
    http = Http({("GET", "/guilds/1/threads/active"): threads, ("GET", "/channels/900/messages/900"): STARTER})
    kinds = deliverer(store, http, ChannelInfo(ChannelKind.FORUM, guild_id=1), KindOptions(), [])
    posted = await kinds.adopt(delivery(store), None)
    assert posted is not None and (posted.placement.message_id, posted.placement.thread_id) == (900, 900)
    assert all(method == "GET" for method, _, _ in http.calls), "found, nothing made"


async def test_a_forum_post_by_someone_else_or_of_another_story_is_not_adopted(store: Store) -> None:
    other = {**STARTER, "author": {"id": "4"}}
    http = Http(
        {
            ("GET", "/guilds/1/threads/active"): {"threads": [{"id": "900", "parent_id": str(CHANNEL)}]},
            ("GET", "/channels/900/messages/900"): other,
            ("GET", f"/channels/{CHANNEL}/threads/archived/public"): {"threads": []},
        }
    )
    kinds = deliverer(store, http, ChannelInfo(ChannelKind.FORUM, guild_id=1), KindOptions(), [])
    assert await kinds.adopt(delivery(store), None) is None
    assert ("GET", f"/channels/{CHANNEL}/threads/archived/public") in [c[:2] for c in http.calls]


async def test_an_adopted_message_gets_its_thread_opener_once(store: Store) -> None:
    message = {"id": "500", "author": {"id": str(BOT)}, "embeds": [{"url": LINK}], "thread": {"id": "500"}}
    opener = {"id": "501", "author": {"id": str(BOT)}, "content": "**Related coverage**"}
    info, options = ChannelInfo(ChannelKind.TEXT), KindOptions(thread=True)
    for in_thread, posts in (([], 1), ([opener], 0)):
        http = Http({("GET", "/channels/500/messages"): in_thread, ("POST", "/channels/500/messages"): {"id": "9"}})
        kinds = deliverer(store, http, info, options, [])
        posted = await kinds.adopt(delivery(store), Adopter(History([message]), lambda: BOT))
        assert posted is not None and (posted.placement.message_id, posted.placement.thread_id) == (500, 500)
        assert [c[:2] for c in http.calls].count(("POST", "/channels/500/messages")) == posts
        assert not any(path.endswith("/threads") for _, path, _ in http.calls), "the thread is there already"


async def test_an_adopted_announcement_post_is_crossposted_only_if_it_was_not(store: Store) -> None:
    info, options = ChannelInfo(ChannelKind.ANNOUNCEMENT), KindOptions(publish=True)
    for flags, wanted, done in ((0, True, False), (1, False, True)):
        message = {"id": "500", "author": {"id": str(BOT)}, "embeds": [{"url": LINK}], "flags": flags}
        kinds = deliverer(store, Http({}), info, options, [])
        posted = await kinds.adopt(delivery(store), Adopter(History([message]), lambda: BOT))
        assert posted is not None and (posted.crosspost, posted.crossposted) == (wanted, done)


async def test_a_post_without_a_nonce_marks_the_row_before_the_call(store: Store) -> None:
    d = delivery(store)
    answers = {("POST", f"/channels/{CHANNEL}/threads"): {"id": "900"}}
    kinds = deliverer(store, Http(answers), ChannelInfo(ChannelKind.FORUM, guild_id=1), KindOptions(), [])
    await kinds.post(d, {"content": "x"}, "n")
    marked = store.ledger.read((d.story_id, d.channel_id))
    assert marked is not None and marked.attempts == 1, "a restart now looks before posting again"
    plain = deliverer(
        store,
        Http({("POST", f"/channels/{CHANNEL}/messages"): {"id": "5"}}),
        ChannelInfo(ChannelKind.TEXT),
        KindOptions(),
        [],
    )
    await plain.post(d, {"content": "x"}, "n")
    again = store.ledger.read((d.story_id, d.channel_id))
    assert again is not None and again.attempts == 1, "plain messages have their nonce: no write"


async def test_crossposts_left_by_a_crash_are_resumed_unless_already_done(store: Store) -> None:
    d = delivery(store)
    store.ledger.settle(d, DeliveryState.SENT, message_id=700, crossposted=False)
    answers = {("GET", f"/channels/{CHANNEL}/messages/700"): {"id": "700", "flags": 1}}
    http = Http(answers)
    kinds = deliverer(store, http, ChannelInfo(ChannelKind.ANNOUNCEMENT), KindOptions(publish=True), [])
    assert await kinds.resume_crossposts([CHANNEL]) == 1
    await kinds.drain()
    assert not any("crosspost" in path for _, path, _ in http.calls), "the flag says it was done"
    assert store.webhooks.unpublished() == {} and await kinds.resume_crossposts([CHANNEL]) == 0
