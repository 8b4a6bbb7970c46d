"""Ranking by the community's signal end to end: counts in the database (as the signal feature writes them) put
the discussed story first in /news sort:discussed, in a rank: discussed digest, and in /newsdesk top."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import ALERTS, NEWS
from tests.e2e.test_digest import GENERAL, ask, digest_titles, text
from tests.fakediscord import ADMIN_PERMISSIONS, EDITOR_ID, FakeDiscord
from tests.signals import put_counts_in_file
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]


def hours_ago(hours: float) -> str:
    return datetime.fromtimestamp(time.time() - hours * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def story_ids(bot: BotProcess) -> dict[str, int]:
    with sqlite3.connect(bot.workdir / "data" / "newsdesk.db") as conn:
        return {title: story_id for story_id, title in conn.execute("SELECT id, title FROM stories")}


def titles_listed(embed: dict[str, object]) -> list[str]:
    return [line.split("[", 1)[1].split("](", 1)[0] for line in str(embed["description"]).split("\n\n")]


def test_the_discussed_story_leads_news_the_digest_and_top(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    # The quiet story is newer and better by quality: every default order puts it first.
    write_story(
        bot.articles, "quiet.md", 1, title="Quiet story", topics=["Space"], quality=90, publishedDateTime=hours_ago(1)
    )
    write_story(
        bot.articles, "loud.md", 2, title="Loud story", topics=["Space"], quality=20, publishedDateTime=hours_ago(2)
    )
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 2)
    ids = story_ids(bot)
    put_counts_in_file(str(bot.workdir / "data" / "newsdesk.db"), ids["Loud story"], NEWS, reactions=5, replies=3)

    latest = fake.answer_for(fake.send_interaction(2, name="news", options={}, channel_id=NEWS))
    assert titles_listed(latest["data"]["embeds"][0]) == ["Quiet story", "Loud story"]
    sent = fake.send_interaction(2, name="news", options={"sort": "discussed"}, channel_id=NEWS)
    embed = fake.answer_for(sent)["data"]["embeds"][0]
    assert titles_listed(embed) == ["Loud story", "Quiet story"]
    assert embed["description"].split("\n\n")[0].endswith("💬 3 · 👍 5"), "the counts, briefly"

    assert "Scheduled digest **talk**" in text(
        ask(fake, "schedule", name="talk", channel=ALERTS, time="09:00", rank="discussed")
    )
    assert "most discussed first" in text(ask(fake, "list"))
    assert "Posted 2 stories" in text(ask(fake, "run", name="talk"))
    [posted] = fake.messages(ALERTS)
    assert posted["embeds"][1]["title"] == "Most discussed"
    assert (
        "Loud story" in posted["embeds"][1]["description"]
        and "👍 5 reactions · 💬 3 replies" in posted["embeds"][1]["description"]
    )
    assert digest_titles({"embeds": posted["embeds"][1:]}) == ["Loud story", "Quiet story"]

    sent = fake.send_interaction(
        name="newsdesk", subcommand="top", options=[{"name": "period", "type": 3, "value": "day"}],
        channel_id=GENERAL, user_id=EDITOR_ID, permissions=ADMIN_PERMISSIONS,
    )  # fmt: skip
    top = fake.answer_for(sent)["data"]["embeds"][0]
    assert top["title"] == "Most discussed in the last 24 hours"
    assert f"**<#{NEWS}>**" in top["description"] and "Loud story" in top["description"]
    assert "Quiet story" not in top["description"] and "👍 5 · 💬 3" in top["description"]
