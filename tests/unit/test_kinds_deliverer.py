"""Channel kinds through the Discord sink: webhooks found once or refused, crossposts off the queue, and the
sink's own classification of the new answers. The HTTP client stands in for discord.py's; the store is real."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord.http import Route

from bot.alerts import Alert
from bot.config import KindOptions
from bot.routes.planning import Action, StoryChange, post
from bot.send.discord_sink import DiscordSink
from bot.send.errors import DeliveryError
from bot.send.kinds.deliverer import KindDeliverer
from bot.send.kinds.payloads import MANAGE_WEBHOOKS, ChannelInfo, ChannelKind
from bot.store import Delivery, DeliveryState, Store
from tests.storyfiles import parsed_file

CHANNEL, BOT = 30, 20


class Http:
    """Answers by method and path; records every request with its keyword arguments."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def request(self, route: Route, **kwargs: Any) -> Any:
        path = route.url[len(Route.BASE) :]
        self.calls.append((route.method, path, kwargs))
        value = self.answers[(route.method, path)]
        if isinstance(value, BaseException):
            raise value
        return value


def http_error(status: int, code: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="")
    return discord.HTTPException(response, {"code": code, "message": "x"})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    yield opened
    opened.close()


def delivery(store: Store) -> Delivery:
    def planner(changes: Sequence[StoryChange], _ledger: object = None) -> list[Action]:
        return [post(c.story_id, [CHANNEL]) for c in changes]

    store.apply([parsed_file("a.md", 1)], planner)
    found = store.ledger.read((1, CHANNEL))
    assert found is not None
    return found


def deliverer(store: Store, http: Http, info: ChannelInfo, options: KindOptions, alerts: list[Alert]) -> KindDeliverer:
    sink = DiscordSink(http, timeout=5)  # type: ignore[arg-type]
    sink.remember(CHANNEL, info)

    async def alert(item: Alert) -> bool:
        alerts.append(item)
        return True

    return KindDeliverer(
        sink,
        store,
        options=lambda _channel: options,
        avatars={},
        bot_id=lambda: BOT,
        alert=alert,
    )


async def test_webhook_route_without_manage_webhooks_posts_normally_with_one_alert(store: Store) -> None:
    http = Http({("POST", f"/channels/{CHANNEL}/messages"): {"id": "500"}})
    alerts: list[Alert] = []
    kinds = deliverer(store, http, ChannelInfo(ChannelKind.TEXT, permissions=0), KindOptions(webhook=True), alerts)
    d = delivery(store)
    for _ in range(2):
        posted = await kinds.post(d, {"content": "x"}, "nonce")
        assert posted.placement.message_id == 500 and posted.placement.webhook_id is None
    await kinds.drain()
    assert len(alerts) == 1 and "Manage Webhooks" in alerts[0].what
    assert [c[0:2] for c in http.calls] == [("POST", f"/channels/{CHANNEL}/messages")] * 2


async def test_webhook_is_created_once_and_reused_with_wait(store: Store) -> None:
    hook = {"id": "9", "token": "tok", "name": "Newsdesk", "user": {"id": str(BOT)}}
    http = Http(
        {
            ("GET", f"/channels/{CHANNEL}/webhooks"): [],
            ("POST", f"/channels/{CHANNEL}/webhooks"): hook,
            ("POST", "/webhooks/9/tok"): {"id": "600", "channel_id": str(CHANNEL)},
        }
    )
    info = ChannelInfo(ChannelKind.TEXT, permissions=MANAGE_WEBHOOKS)
    kinds = deliverer(store, http, info, KindOptions(webhook=True), [])
    d = delivery(store)
    first = await kinds.post(d, {"content": "x"}, "n")
    await kinds.post(d, {"content": "y"}, "n")
    assert first.placement.webhook_id == 9 and first.placement.message_id == 600
    assert [c[0:2] for c in http.calls].count(("POST", f"/channels/{CHANNEL}/webhooks")) == 1
    executed = [c for c in http.calls if c[1] == "/webhooks/9/tok"]
    assert len(executed) == 2 and all(c[2]["params"] == {"wait": "true", "with_components": "true"} for c in executed)
    assert executed[0][2]["json"]["username"] == "Example News"
    assert store.webhooks.webhook_for(CHANNEL) == (9, "tok"), "remembered across restarts"


async def test_crosspost_limit_is_recorded_and_never_holds_the_post(store: Store) -> None:
    http = Http(
        {
            ("POST", f"/channels/{CHANNEL}/messages"): {"id": "700"},
            ("POST", f"/channels/{CHANNEL}/messages/700/crosspost"): discord.RateLimited(3000.0),
        }
    )
    kinds = deliverer(store, http, ChannelInfo(ChannelKind.ANNOUNCEMENT), KindOptions(publish=True), [])
    d = delivery(store)
    posted = await kinds.post(d, {"content": "x"}, "n")
    assert posted.crosspost and not any("crosspost" in c[1] for c in http.calls), "the crosspost comes after"
    store.ledger.settle(d, DeliveryState.SENT, message_id=700, crossposted=False)
    kinds.follow_up(d, posted)
    await kinds.drain()
    count, reason = store.webhooks.unpublished()[CHANNEL]
    assert count == 1 and "crosspost limit" in reason and "3000s" in reason


async def test_start_thread_twice_is_the_same_thread() -> None:
    path = f"/channels/{CHANNEL}/messages/800/threads"
    sink = DiscordSink(Http({("POST", path): http_error(400, 160004)}), timeout=5)  # type: ignore[arg-type]
    assert await sink.start_thread(CHANNEL, 800, "name", 1440) == 800
    other = DiscordSink(Http({("POST", path): http_error(400, 50024)}), timeout=5)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as caught:
        await other.start_thread(CHANNEL, 800, "name", 1440)
    assert caught.value.code == 50024 and not caught.value.retryable


async def test_check_channel_remembers_kind_tags_and_permissions() -> None:
    forum = {"id": str(CHANNEL), "type": 15, "guild_id": "1", "available_tags": [{"id": "5", "name": "AI"}]}
    http = Http(
        {
            ("GET", f"/channels/{CHANNEL}"): forum,
            ("GET", "/guilds/1/roles"): [{"id": "1", "permissions": str((1 << 10) | (1 << 11) | (1 << 14))}],
            ("GET", f"/guilds/1/members/{BOT}"): {"user": {"id": str(BOT)}, "roles": []},
        }
    )
    sink = DiscordSink(http, timeout=5)  # type: ignore[arg-type]
    assert (await sink.check_channel(CHANNEL, BOT)).ok
    info = sink.channel_info(CHANNEL)
    assert info is not None and info.kind is ChannelKind.FORUM and info.tags[0].name == "AI"
    assert not info.can(MANAGE_WEBHOOKS)


async def test_a_long_rate_limit_is_a_retryable_error_not_a_wait() -> None:
    path = f"/channels/{CHANNEL}/messages"
    sink = DiscordSink(Http({("POST", path): discord.RateLimited(900.0)}), timeout=5)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as caught:
        await asyncio.wait_for(sink.post(CHANNEL, {"content": "x"}, nonce="n"), 1)
    assert caught.value.retryable and caught.value.status == 429
