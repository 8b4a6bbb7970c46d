"""Alerts: where they go, and at most once per problem per hour."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.alerts import Alerter, channel_forbidden
from bot.store import Store
from bot.store.newsroom import NewsroomStore

GUILD = 10


async def test_alerter_posts_once_per_hour_to_the_right_channels(newsroom: NewsroomStore, store: Store) -> None:
    sent: list[tuple[int, dict[str, Any]]] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append((channel_id, payload))

    newsroom.set_alert_channel(GUILD, 900)
    newsroom.set_alert_channel(GUILD + 1, 901)
    alerter = Alerter(store, send, config_channel=999, guild_of=lambda channel: GUILD)
    assert await alerter.raise_alert(channel_forbidden(5, GUILD, "Missing Permissions"))
    assert not await alerter.raise_alert(channel_forbidden(5, GUILD, "Missing Permissions"))
    assert [c for c, _ in sent] == [900, 999]  # this server's alerts channel and the config one, not 901
    assert "@\u200beveryone" not in sent[0][1]["embeds"][0]["description"]
    alerter.delivery_failed(6, 403, "Missing Permissions")
    alerter.delivery_failed(7, 400, "Invalid Form Body")  # a bad story is not a channel problem
    for attempt in range(1, 8):
        alerter.delivery_retrying(8, attempt, "Discord answered 503")
    await asyncio.sleep(0)
    await alerter.drain()
    titles = [p["embeds"][0]["title"] for _, p in sent[2:]]
    assert sorted(titles) == sorted(["⚠️ Discord keeps failing"] * 2 + ["⚠️ Missing permissions in a news channel"] * 2)


async def test_rejected_files_make_one_alert_per_batch_and_repeat_only_after_an_hour(
    newsroom: NewsroomStore, store: Store
) -> None:
    sent: list[dict[str, Any]] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append(payload)

    alerter = Alerter(store, send, config_channel=999, guild_of=lambda channel: None)
    batch = [(f"bad{n}.md", f"bad{n}.md: broken YAML") for n in range(12)]
    alerter.files_rejected(batch)
    await asyncio.sleep(0)
    await alerter.drain()
    alerter.files_rejected([*batch[:3], ("new.md", "new.md: title: missing")])
    await asyncio.sleep(0)
    await alerter.drain()
    assert [p["embeds"][0]["title"] for p in sent] == ["⚠️ 12 story files were rejected", "⚠️ A story file was rejected"]
    assert "…and 2 more" in sent[0]["embeds"][0]["description"]
    assert "new.md" in sent[1]["embeds"][0]["description"]


async def test_alerts_stay_in_their_server_and_deployment_alerts_go_home_only(
    newsroom: NewsroomStore, store: Store
) -> None:
    home, stranger, quiet = GUILD, GUILD + 1, GUILD + 2
    sent: list[tuple[int, str]] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append((channel_id, payload["embeds"][0]["description"]))

    newsroom.set_alert_channel(home, 900)
    newsroom.set_alert_channel(stranger, 901)
    servers = {5: home, 6: stranger, 7: quiet}
    alerter = Alerter(store, send, config_channel=None, guild_of=servers.get, home_guild=home)

    alerter.delivery_failed(6, 403, "Missing Permissions")  # the stranger's own channel: its alerts channel only
    alerter.delivery_failed(7, 403, "Missing Permissions")  # a server without an alerts channel: nobody
    alerter.delivery_failed(8, 403, "Missing Permissions")  # a channel of unknown server: the home server only
    alerter.files_rejected([("/srv/articles/secret-merger.md", "secret-merger.md: bad YAML")])
    await asyncio.sleep(0)
    await alerter.drain()
    by_channel = {c: [text for channel, text in sent if channel == c] for c in (900, 901)}
    assert len(sent) == 3
    assert len(by_channel[901]) == 1 and "<#6>" in by_channel[901][0]
    assert any("<#8>" in text for text in by_channel[900])
    assert any("secret-merger.md" in text for text in by_channel[900])
    assert not any("<#7>" in text for _c, text in sent)


async def test_without_a_home_server_deployment_alerts_reach_only_the_config_channel(
    newsroom: NewsroomStore, store: Store
) -> None:
    sent: list[int] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append(channel_id)

    newsroom.set_alert_channel(GUILD, 900)
    newsroom.set_alert_channel(GUILD + 1, 901)
    alerter = Alerter(store, send, config_channel=999, guild_of=lambda channel: None)
    assert alerter.targets(None) == [999], "no server's /newsdesk alerts channel gets the deployment's alerts"
    assert alerter.targets(GUILD + 1) == [901, 999]
    alerter.files_rejected([("bad.md", "bad.md: broken YAML")])
    await asyncio.sleep(0)
    await alerter.drain()
    assert sent == [999]
