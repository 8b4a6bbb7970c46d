"""The scheduled weekly report end to end: a server opts in with ``/newsdesk report schedule:on``, and the
Monday run posts its week (text and PNG) to its alerts channel once, however often it is triggered that week.

The run is triggered at a controlled time without a test clock: with ``scheduler.digest_grace_seconds`` a week
long, every start of the bot is within the grace of the latest Monday 09:00, so each start runs the scheduled
code (``run_scheduled``) as a bot that was down at 09:00 does. ``schedule:now`` is the other trigger; both end in
the same claim of (server, week). Last, a bot SIGKILLed while Discord holds the report's POST: the restarted bot
takes the dead process's claim over and the report is in the channel exactly once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import ALERTS, NEWS
from tests.e2e.test_newsroom import resolved
from tests.fakediscord import ADMIN_PERMISSIONS, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e
MakeBot = Callable[..., BotProcess]
WEEK_GRACE = {"digest_grace_seconds": 7 * 24 * 3600}
PNG = b"\x89PNG\r\n\x1a\n"


def newsdesk(fake: FakeDiscord, sub: str, **values: str) -> str:
    """An admin runs /newsdesk SUB; returns the text of the (deferred, ephemeral) answer."""
    options: list[dict[str, Any]] = [
        {"name": k, "type": 7 if k == "channel" else 3, "value": v} for k, v in values.items()
    ]
    sent = fake.send_interaction(
        2,
        name="newsdesk",
        subcommand=sub,
        options=options,
        channel_id=NEWS,
        permissions=ADMIN_PERMISSIONS,
        resolved=resolved(fake, options),
    )
    fake.answer_for(sent)
    pattern = rf"^/webhooks/\d+/{re.escape(sent.token)}$"
    [answer] = fake.wait_for(lambda: fake.requests_to("POST", pattern))
    assert answer["json"]["flags"] & 64, "ephemeral"
    return str(answer["json"].get("content") or "")


def reports_in(fake: FakeDiscord, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel_id) if any(e.get("title") == "Newsdesk: the week" for e in m["embeds"])]


def uploads_to(fake: FakeDiscord, channel_id: int) -> list[dict[str, Any]]:
    return [f for r in fake.requests_to("POST", rf"^/channels/{channel_id}/messages$") for f in r["files"]]


def restart(bot: BotProcess) -> int:
    """Stop and start the bot; returns where its new log begins."""
    bot.stop()
    bot.start()
    return bot.mark


def test_an_opted_in_server_gets_its_week_once_across_triggers_and_restarts(
    fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot(scheduler=WEEK_GRACE).start()
    write_story(bot.articles, "one.md", 1, title="Chips are back <@&300000000000000001> @everyone", topics=["AI"])
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1)

    refused = newsdesk(fake, "report", period="week", schedule="on")
    assert "`schedule`" in refused and "`/newsdesk alerts` first" in refused
    assert "reported in" in newsdesk(fake, "alerts", channel=str(ALERTS))
    assert "every Monday at 09:00 (UTC)" in newsdesk(fake, "report", period="week", schedule="on")
    assert reports_in(fake, ALERTS) == [], "turning it on posts nothing until the Monday run"

    since = restart(bot)  # a start within the grace of Monday 09:00: the scheduled run
    bot.wait_for_log(": posted ", since=since)
    [report] = fake.wait_for(lambda: reports_in(fake, ALERTS))
    [upload] = uploads_to(fake, ALERTS)
    assert upload["name"] == "files[0]" and upload["filename"] == "week.png" and upload["data"][:8] == PNG
    assert report["attachments"][0]["filename"] == "week.png" and report["attachments"][0]["width"] == 1200
    [embed] = report["embeds"]
    assert embed["image"]["url"] == "attachment://week.png"
    assert embed["description"].startswith("This week: 2 posts in 2 channels")
    assert "/newsdesk report schedule:off" in embed["footer"]["text"]
    assert report["mention_everyone"] is False and report["mention_roles"] == [] and not report["pinged"]

    since = restart(bot)  # the same week again: nothing
    assert "posted 0 of 1" in bot.wait_for_log(": posted ", since=since)
    assert "already posted" in newsdesk(fake, "report", period="week", schedule="now")
    assert len(reports_in(fake, ALERTS)) == 1 and len(uploads_to(fake, ALERTS)) == 1

    assert "off" in newsdesk(fake, "report", period="week", schedule="off")
    since = restart(bot)
    assert "posted 0 of 0" in bot.wait_for_log(": posted ", since=since), "opted out: not a target"
    assert "Traceback" not in bot.log_text()


def test_now_posts_this_week_once_and_the_config_report_goes_to_alerts_channel(
    fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot(alerts={"channel": ALERTS, "weekly_report": True}).start()
    assert "reported in" in newsdesk(fake, "alerts", channel=str(NEWS))
    assert "is posted in" in newsdesk(fake, "report", period="week", schedule="now")
    [report] = fake.wait_for(lambda: reports_in(fake, NEWS))
    assert report["embeds"][0]["description"] == "No posts yet.", "an empty database says so"
    assert "already posted" in newsdesk(fake, "report", period="week", schedule="now")
    assert len(reports_in(fake, NEWS)) == 1

    bot.stop()
    bot.config["scheduler"] = WEEK_GRACE
    since = bot.start().mark  # the deployment's report (alerts.weekly_report) comes with the scheduled run
    bot.wait_for_log(": posted ", since=since)
    [deployment] = fake.wait_for(lambda: reports_in(fake, ALERTS))
    assert deployment["attachments"][0]["filename"] == "week.png"
    since = restart(bot)
    assert "posted 0 of 1" in bot.wait_for_log(": posted ", since=since)
    assert len(reports_in(fake, ALERTS)) == 1 and len(reports_in(fake, NEWS)) == 1


@pytest.mark.parametrize("answered", [False, True], ids=["before Discord acts", "after Discord acted"])
def test_a_kill_while_posting_the_report_leaves_it_in_the_channel_once(
    fake: FakeDiscord, make_bot: MakeBot, answered: bool
) -> None:
    bot = make_bot().start()
    assert "reported in" in newsdesk(fake, "alerts", channel=str(ALERTS))
    assert "every Monday at 09:00" in newsdesk(fake, "report", period="week", schedule="on")
    fake.hold("POST", rf"^/channels/{ALERTS}/messages$", answered=answered)
    bot.stop()
    bot.config["scheduler"] = WEEK_GRACE
    bot.start()  # the scheduled run: claims the week, and its POST hangs in Discord
    fake.wait_for(lambda: fake.held_requests == 1)
    bot.kill()
    fake.release_holds()  # the held answer goes nowhere: its sender is dead
    fake.wait_for(lambda: fake.held_requests == 0)
    assert len(reports_in(fake, ALERTS)) == int(answered), "Discord made it only when it acted"

    since = bot.start().mark
    if answered:  # found in the channel by its footer's marker and recorded, not posted again
        bot.wait_for_log("adopted message", since=since)
    else:
        bot.wait_for_log("not found in the channel; posting it", since=since)
    assert "posted 1 of 1" in bot.wait_for_log(": posted ", since=since)
    [report] = fake.wait_for(lambda: reports_in(fake, ALERTS))
    assert len(uploads_to(fake, ALERTS)) == (1 if answered else 2), "one more POST only when nothing was made"
    assert fake.requests_to("GET", rf"^/channels/{ALERTS}/messages$"), "looked in the channel first"
    assert "ref " in report["embeds"][0]["footer"]["text"]

    since = restart(bot)  # the week is recorded: nothing more
    assert "posted 0 of 1" in bot.wait_for_log(": posted ", since=since)
    assert "already posted" in newsdesk(fake, "report", period="week", schedule="now")
    assert len(reports_in(fake, ALERTS)) == 1
