"""Route merging, ping mentions, alert throttling, option parsing and the status report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import Alerter, channel_forbidden
from bot.config import parse_config
from bot.embeds import build_story_message
from bot.options import OptionError, parse_duration, parse_topics
from bot.routing import RouteTable
from bot.status import collect, render_embed, render_text
from bot.store import Store
from bot.store.newsroom import NewsroomStore, StoredRoute
from bot.story import Story

GUILD = 10


@pytest.fixture
def newsroom(tmp_path: Path) -> NewsroomStore:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    yield NewsroomStore(store)
    store.close()


def table(newsroom: NewsroomStore) -> RouteTable:
    config = parse_config({"channels": [{"id": 1, "topics": ["AI"], "roles": [77]}, {"id": 2, "min_quality": 50}]})
    routes = RouteTable(config.channels)
    routes.load(newsroom)
    return routes


def test_config_and_discord_routes_both_apply(newsroom: NewsroomStore) -> None:
    newsroom.upsert_route(StoredRoute(3, GUILD, ("Space",), 0), created_by=5)
    routes = table(newsroom)
    assert routes.channels_for(("space",), 10) == [3]
    assert routes.channels_for(("AI",), 60) == [1, 2]
    assert [r.source for r in routes.routes] == ["config", "config", "discord"]
    assert routes.guild_of(3) == GUILD and routes.guild_of(1) is None
    newsroom.upsert_route(StoredRoute(3, GUILD, None, 90), created_by=5)  # same channel: replaced
    routes.load(newsroom)
    assert routes.channels_for(("space",), 10) == [] and routes.channels_for(("x",), 95) == [2, 3]
    assert newsroom.remove_route(3) and not newsroom.remove_route(3)


def test_ping_roles_are_only_the_bound_ones(newsroom: NewsroomStore) -> None:
    newsroom.bind_topic(GUILD, "Space", 500)
    newsroom.bind_topic(GUILD + 1, "Space", 600)  # another server's binding never applies here
    routes = table(newsroom)
    assert routes.roles_for(2, ("SPACE", "Robots"), 60, GUILD) == [500]
    assert routes.roles_for(1, ("AI", "space"), 60, GUILD) == [77, 500]
    assert routes.roles_for(2, ("Robots",), 60, GUILD) == []
    story = Story(key="k", title="@everyone <@&600> hi", topics=("Space",), published=True)
    payload = build_story_message(story, role_ids=routes.roles_for(2, story.topics, 60, GUILD))
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["500"], "replied_user": False}
    assert payload["content"] == "<@&500>"
    newsroom.unbind_topic(GUILD, "space")
    routes.load(newsroom)
    assert routes.roles_for(2, ("Space",), 60, GUILD) == []


def test_alert_claims_are_throttled_per_problem(newsroom: NewsroomStore) -> None:
    assert newsroom.claim_alert("forbidden:1", every=3600, now=1000)
    assert not newsroom.claim_alert("forbidden:1", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:2", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:1", every=3600, now=4601)


async def test_alerter_posts_once_per_hour_to_the_right_channels(newsroom: NewsroomStore) -> None:
    sent: list[tuple[int, dict[str, Any]]] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append((channel_id, payload))

    newsroom.set_alert_channel(GUILD, 900)
    newsroom.set_alert_channel(GUILD + 1, 901)
    alerter = Alerter(newsroom, send, config_channel=999, guild_of=lambda channel: GUILD)
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


def test_option_parsing_names_the_option_and_shows_an_example() -> None:
    assert parse_topics(" AI ,  Climate  Change,AI") == ("AI", "Climate Change")
    assert parse_topics("*") is None and parse_topics("") is None
    assert parse_duration("24h") == 86400 and parse_duration("90m") == 5400 and parse_duration("2w") == 1209600
    assert parse_duration("3") == 3 * 3600
    for bad in ("yesterday", "0m", "-1h", "5y"):
        with pytest.raises(OptionError, match=r"`since`.*Example: `"):
            parse_duration(bad)


def test_status_report_renders_for_terminal_and_discord(newsroom: NewsroomStore, tmp_path: Path) -> None:
    store = Store(newsroom.engine)
    store.set_meta("started_at", "1000")
    store.set_meta("last_scan", '{"at": 1100, "files": 20, "seconds": 0.5, "changed": 0}')
    report = collect(store, newsroom, queues={1: 3}, now=2000)
    text = render_text(report, now=2000)
    assert "Running since: 16m ago" in text and "20 files in 0.50s" in text and "Rejected files: 0" in text
    embed = render_embed(report, now=2000)
    assert embed["title"] == "Newsdesk status" and all(len(f["value"]) <= 1024 for f in embed["fields"])


async def test_rejected_files_make_one_alert_per_batch_and_repeat_only_after_an_hour(
    newsroom: NewsroomStore,
) -> None:
    sent: list[dict[str, Any]] = []

    async def send(channel_id: int, payload: dict[str, Any]) -> None:
        sent.append(payload)

    alerter = Alerter(newsroom, send, config_channel=999, guild_of=lambda channel: None)
    batch = [(f"bad{n}.md", f"bad{n}.md: broken YAML") for n in range(12)]
    alerter.files_rejected(batch)
    await asyncio.sleep(0)
    await alerter.drain()
    alerter.files_rejected([*batch[:3], ("new.md", "new.md: title: missing")])
    await asyncio.sleep(0)
    await alerter.drain()
    assert [p["embeds"][0]["title"] for p in sent] == ["⚠️ 12 story files were rejected", "⚠️ A story file was rejected"]
    assert "…and 2 more." in sent[0]["embeds"][0]["description"]
    assert "new.md" in sent[1]["embeds"][0]["description"]
