"""Members' DMs end to end: the real bot against the fake Discord, follows written into its database first."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from tests.botprocess import BotProcess
from tests.e2e.conftest import settle_news
from tests.fakediscord import FakeDiscord
from tests.personal_rows import dm_rows, follow_row, insert_rows, settings_of, settings_row
from tests.storyfiles import write_story

MakeBot = Callable[..., BotProcess]


def prepare(tmp_path: Path, **rows: Any) -> str:
    """Migrate the bot's database and write follows and settings into it before the bot starts."""
    (tmp_path / "data").mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path / 'data' / 'newsdesk.db'}"
    Store.open(url).close()
    insert_rows(url, **rows)
    return url


def dm_texts(fake: FakeDiscord, user_id: int) -> list[str]:
    return [m["content"] for m in fake.server.dms.messages_to(user_id)]


def test_a_follower_gets_a_new_story_as_one_dm_even_when_two_follows_match(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    url = prepare(
        tmp_path, follow=[follow_row(1, "AI"), follow_row(1, "story number", kind="words"), follow_row(2, "Space")]
    )
    bot = make_bot().start()
    write_story(bot.articles, "1.md", 1)
    [dm] = fake.wait_for(lambda: fake.server.dms.messages_to(1))
    assert dm["content"] == "You follow AI" and dm["embeds"][0]["title"] == "Story number 1"
    assert dm["allowed_mentions"]["parse"] == [] and dm["pinged"] == []
    settle_news(fake, bot)  # the channel got everything before the marker; the DM sender had its wake-up too
    assert len(fake.server.dms.messages_to(1)) == 1 and fake.server.dms.messages_to(2) == []
    [row] = dm_rows(url)
    assert (row["state"], row["message_id"]) == ("sent", int(dm["id"]))
    assert len(fake.requests_to("POST", r"^/users/@me/channels$")) == 1


def test_closed_dms_pause_the_member_and_nothing_is_retried(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    url = prepare(tmp_path, follow=[follow_row(3, "AI")])
    fake.server.dms.close_dms(3)
    bot = make_bot().start()
    write_story(bot.articles, "1.md", 1)
    fake.wait_for(lambda: (s := settings_of(url, 3)) is not None and s["paused"])
    member = settings_of(url, 3)
    assert member is not None and member["paused_reason"] == "dms_closed" and member["told_at"] is None
    assert [r["state"] for r in dm_rows(url)] == ["cancelled"]
    write_story(bot.articles, "2.md", 2)
    settle_news(fake, bot)
    channel = fake.server.dms.channel_of(3)
    assert len(fake.requests_to("POST", rf"^/channels/{channel}/messages$")) == 1, "tried once, never again"
    assert len(dm_rows(url)) == 1, "a paused member gets nothing planned"


def test_a_sigkill_mid_fan_out_and_a_restart_give_each_member_the_story_once(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    members = list(range(100, 140))
    url = prepare(tmp_path, follow=[follow_row(u, "AI") for u in members])
    bot = make_bot().start()
    # DMs are made but their answers wait: the bot is killed before it can record any of those in flight.
    fake.hold("POST", r"^/channels/\d+/messages$", answered=True)
    write_story(bot.articles, "1.md", 1)
    fake.wait_for(lambda: fake.held_requests >= 3)
    bot.kill()
    fake.release_holds()
    bot.start()
    fake.wait_for(lambda: all(fake.server.dms.messages_to(u) for u in members))
    settle_news(fake, bot)
    assert all(len(fake.server.dms.messages_to(u)) == 1 for u in members), "nobody twice, nobody missed"
    assert {r["state"] for r in dm_rows(url)} == {"sent"}
    assert bot.stop() == 0
    bot.start()
    settle_news(fake, bot)
    assert all(len(fake.server.dms.messages_to(u)) == 1 for u in members), "a clean restart sends nothing again"


@pytest.mark.slow
def test_quiet_hours_daily_cap_and_a_personal_digest_at_its_hour(
    fake: FakeDiscord, make_bot: MakeBot, tmp_path: Path
) -> None:
    """Schedules have minute resolution: quiet hours end, and the digest is due, at the next whole minute (20 to
    80 s away), so the test waits for that one boundary instead of giving the bot a test-only clock."""
    now = time.time()
    due = (int(now + 20) // 60 + 1) * 60
    hhmm = datetime.fromtimestamp(due, UTC).strftime("%H:%M")
    earlier = datetime.fromtimestamp(due - 3600, UTC).strftime("%H:%M")
    url = prepare(
        tmp_path,
        follow=[follow_row(1, "AI"), follow_row(2, "AI", mode="digest"), follow_row(3, "AI")],
        settings=[
            settings_row(1, quiet_start=earlier, quiet_end=hhmm, timezone="UTC"),
            settings_row(2, digest_time=hhmm, timezone="UTC"),
            settings_row(3, daily_cap=1, timezone="UTC"),
        ],
    )
    bot = make_bot().start()
    write_story(bot.articles, "1.md", 1)
    fake.wait_for(lambda: fake.server.dms.messages_to(3))  # (DMs due together would go as one message)
    write_story(bot.articles, "2.md", 2)
    fake.wait_for(lambda: len([r for r in dm_rows(url) if r["user_id"] == 3 and r["state"] != "post"]) == 2)
    assert len(dm_texts(fake, 3)) == 1, "one DM within the cap of 1"
    assert sorted(r["state"] for r in dm_rows(url) if r["user_id"] == 3) == ["capped", "sent"]
    fake.wait_for(lambda: all(r["due_at"] == due for r in dm_rows(url) if r["user_id"] == 1))
    assert time.time() < due, "the set-up must finish before quiet hours end"
    assert dm_texts(fake, 1) == [] and dm_texts(fake, 2) == []
    [bundle] = fake.wait_for(lambda: fake.server.dms.messages_to(1), timeout=120)
    assert time.time() >= due and len(bundle["embeds"]) == 2, "held, then one message"
    [digest] = fake.wait_for(lambda: fake.server.dms.messages_to(2), timeout=120)
    assert digest["embeds"][0]["title"] == "Your Newsdesk digest"
    assert {r["state"] for r in dm_rows(url) if r["user_id"] in (1, 2)} == {"sent"}
    settle_news(fake, bot)
    assert len(dm_texts(fake, 1)) == 1 and len(dm_texts(fake, 2)) == 1
