"""Embargo end to end: a published story dated in the future is posted by the real bot at its date, once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.test_news import command, listed
from tests.e2e.test_newsroom import command as command_in
from tests.fakediscord import FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
LATE = 5.0  # generous bound on how late a post may come under load


def ahead(seconds: float) -> float:
    """A release time about ``seconds`` from now, on a whole second (story dates have no fractions)."""
    return float(int(time.time() + seconds) + 1)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def posts_of(fake: FakeDiscord, title: str) -> list[dict[str, Any]]:
    return [
        r
        for r in fake.requests_to("POST", r"^/channels/\d+/messages$")
        if (r["json"] or {}).get("embeds") and r["json"]["embeds"][0].get("title") == title
    ]


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def write_held(bot: BotProcess, release: float, **fields: Any) -> None:
    write_story(
        bot.articles, "held.md", 1, title="Held story", topics=["Space"], publishedDateTime=iso(release), **fields
    )


def test_a_future_story_posts_once_at_its_time_and_news_hides_it_until_then(
    fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot().start()
    write_story(bot.articles, "out.md", 2, title="Out already", topics=["Space"])
    fake.wait_for(lambda: posts_of(fake, "Out already"))
    mark = len(bot.lines)
    release = ahead(4)
    write_held(bot, release)
    bot.wait_for_log("Embargo: next release at", since=mark)
    assert listed(command(fake, {})["data"]["embeds"][0]) == ["Out already"]
    sleep_until(release - 1)
    assert posts_of(fake, "Held story") == [], "nothing is posted before its date"
    fake.wait_for(lambda: posts_of(fake, "Held story"), timeout=LATE + 2)
    [post] = posts_of(fake, "Held story")
    assert release <= post["time"] <= release + LATE
    assert listed(command(fake, {})["data"]["embeds"][0]) == ["Held story", "Out already"]
    time.sleep(1)
    assert len(posts_of(fake, "Held story")) == 1


def test_a_restart_while_held_posts_once_at_the_time(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    release = ahead(10)
    write_held(bot, release)
    bot.wait_for_log("Embargo: next release at")
    # /newsdesk status lists it, with Discord's own rendering of its release time.
    command_in(fake, "newsdesk", "status", [])
    followup = json.dumps(fake.wait_for(lambda: fake.requests_to("POST", r"^/webhooks/"))[0]["json"])
    assert "Held until their date (1)" in followup and f"'Held story' at <t:{int(release)}:F>" in followup
    bot.stop()
    bot.start()
    fake.wait_for(lambda: posts_of(fake, "Held story"), timeout=max(0.0, release - time.time()) + LATE)
    [post] = posts_of(fake, "Held story")
    assert post["time"] >= release
    time.sleep(1)
    assert len(posts_of(fake, "Held story")) == 1


def test_a_held_story_whose_date_moves_out_posts_at_the_new_time(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    first = ahead(3)
    write_held(bot, first)
    bot.wait_for_log("Embargo: next release at")
    later = first + 3
    mark = len(bot.lines)
    write_held(bot, later)
    bot.wait_for_log(f"Embargo: next release at {datetime.fromtimestamp(later, UTC).isoformat()}", since=mark)
    fake.wait_for(lambda: posts_of(fake, "Held story"), timeout=max(0.0, later - time.time()) + LATE)
    [post] = posts_of(fake, "Held story")
    assert post["time"] >= later


def test_a_held_story_unpublished_never_posts(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    release = ahead(3)
    write_held(bot, release)
    bot.wait_for_log("Embargo: next release at")
    write_held(bot, release, published=False)
    write_story(bot.articles, "marker.md", 3, title="Marker", topics=["Space"])
    fake.wait_for(lambda: posts_of(fake, "Marker"))
    sleep_until(release + 2)
    assert posts_of(fake, "Held story") == []
    assert fake.requests_to("DELETE", r"^/channels/") == []
