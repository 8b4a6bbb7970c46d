"""End-to-end fixtures: a fake Discord on 127.0.0.1 and the real bot as a subprocess pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import TOKEN, BotProcess
from tests.fakediscord import FakeDiscord
from tests.fakediscord.world import BOT_PERMISSIONS, BOT_ROLE_ID, ChannelSpec, default_guild
from tests.storyfiles import write_story

NEWS, AI, SCIENCE, ALERTS = (200000000000000001, 200000000000000002, 200000000000000003, 200000000000000004)
MARKER = "Marker "  # the title prefix of marker stories


def settle_news(fake: FakeDiscord, bot: BotProcess) -> None:
    """Write a marker story (routed to NEWS only, which takes every topic) and wait for its post. The folder is
    read in order and each channel's sends go out in order, so once the marker is posted everything the bot was
    to send to NEWS before it has been sent: "nothing more came" can be asserted without sleeping."""
    folder = bot.articles / "markers"
    n = len(list(folder.glob("*.md"))) + 1 if folder.exists() else 1
    title = f"{MARKER}{n}"
    write_story(bot.articles, f"markers/{n}.md", 900 + n, title=title, topics=["Mark"])
    fake.wait_for(lambda: any(m["embeds"][0]["title"] == title for m in fake.messages(NEWS) if m.get("embeds")))


def is_marker(message: dict[str, Any]) -> bool:
    """A marker's message, or the JSON of its POST."""
    return bool(message.get("embeds")) and str(message["embeds"][0].get("title", "")).startswith(MARKER)


def without_markers(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if not is_marker(m)]


def fake_granting(permissions: int, *, forum: int | None = None) -> FakeDiscord:
    """A started fake whose bot role also has ``permissions`` (threads, webhooks), with a forum channel if given."""
    guild = default_guild()
    if forum is not None:
        guild.channels.append(ChannelSpec(id=forum, name="stories", type=15))
    bot_role = guild.role(BOT_ROLE_ID)
    assert bot_role is not None
    bot_role.permissions = BOT_PERMISSIONS | permissions
    return FakeDiscord(token=TOKEN, channel_rate=(50, 1.0), guilds=[guild]).start()


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    # Roomy rate limits by default; the rate-limit behaviour has its own test and benchmark.
    server = FakeDiscord(token=TOKEN, channel_rate=(50, 1.0)).start()
    yield server
    server.stop()


def default_config(workdir: Path) -> dict[str, Any]:
    return {
        "articles": {
            "path": str(workdir / "articles"),
            "backfill": "none",
            "rescan_seconds": 3600,
            "debounce_ms": 30,
        },
        "storage": {"url": f"sqlite:///{workdir / 'data' / 'newsdesk.db'}"},
        "channels": [
            {"id": NEWS, "name": "news", "topics": "*"},
            {"id": AI, "name": "ai", "topics": ["AI"], "min_quality": 40},
        ],
        "log_level": "INFO",
    }


@pytest.fixture
def make_bot(tmp_path: Path, fake: FakeDiscord) -> Iterator[Callable[..., BotProcess]]:
    bots: list[BotProcess] = []

    def factory(**overrides: Any) -> BotProcess:
        (tmp_path / "articles").mkdir(exist_ok=True)
        config = default_config(tmp_path)
        for section, values in overrides.items():
            if isinstance(values, dict):
                config[section] = {**config.get(section, {}), **values}
            else:
                config[section] = values
        bot = BotProcess(tmp_path, fake, config)
        bots.append(bot)
        return bot

    yield factory
    for bot in bots:
        bot.stop()
        assert TOKEN not in bot.log_text(), "the token must never be logged"
