"""The scheduled weekly report: when it is due (Mondays 09:00 local, across DST), the claim that keeps each
(server, week) to one post on both backends, and which servers get one (opted in, with an alerts channel, ours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.send.errors import DeliveryError
from bot.store import Store
from bot.store.weekly_tables import DEPLOYMENT
from bot.weekly.runner import Target, WeeklyReporter
from bot.weekly.schedule import due_before, missed, next_due, trigger, week_key

VIENNA = ZoneInfo("Europe/Vienna")
PNG = b"\x89PNG\r\n\x1a\n"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected", "hours"),
    [
        # Spring forward (Sunday 2027-03-28): 09:00 CET is 08:00 UTC, 09:00 CEST is 07:00 UTC; the week is 167 h.
        (utc(2027, 3, 22, 9), utc(2027, 3, 29, 7), 167),
        # Fall back (Sunday 2027-10-31): 09:00 CEST is 07:00 UTC, 09:00 CET is 08:00 UTC; the week is 169 h.
        (utc(2027, 10, 25, 7, 30), utc(2027, 11, 1, 8), 169),
    ],
)
def test_the_next_run_is_monday_nine_local_time_across_dst(now: datetime, expected: datetime, hours: int) -> None:
    due = next_due(now, VIENNA)
    assert due.astimezone(UTC) == expected
    assert (due.astimezone(UTC) - due_before(now, VIENNA).astimezone(UTC)) == timedelta(hours=hours)
    assert due.astimezone(VIENNA).hour == 9 and due.weekday() == 0
    # The job's APScheduler trigger fires at the same instant.
    assert trigger(VIENNA).get_next_fire_time(None, now) == due


def test_every_trigger_between_two_runs_belongs_to_the_same_week() -> None:
    monday_nine = utc(2027, 3, 29, 7)  # 09:00 CEST
    assert week_key(monday_nine, VIENNA) == "2027-03-29"
    assert week_key(monday_nine + timedelta(days=6, hours=23), VIENNA) == "2027-03-29"
    assert week_key(monday_nine - timedelta(seconds=1), VIENNA) == "2027-03-22", "08:59 is last week's"
    # Sunday 23:30 in Vienna is already Monday in UTC, not yet Monday 09:00 here.
    assert week_key(utc(2027, 3, 28, 21, 30), VIENNA) == "2027-03-22"


def test_a_run_missed_while_down_is_posted_only_within_the_grace() -> None:
    due = utc(2027, 3, 29, 7)
    assert missed(due + timedelta(seconds=3599), VIENNA, 3600)
    assert not missed(due + timedelta(seconds=3601), VIENNA, 3600)
    assert not missed(due - timedelta(minutes=1), VIENNA, 3600), "last week's run is far beyond the grace"


def test_each_server_and_week_is_claimed_once(store: Store) -> None:
    weekly = store.weekly
    assert weekly.claim(1, "2027-03-29", channel_id=10, member_id="a")
    assert not weekly.claim(1, "2027-03-29", channel_id=10, member_id="b"), "a second process loses"
    assert weekly.claim(1, "2027-04-05", channel_id=10), "next week is a new claim"
    assert weekly.claim(2, "2027-03-29", channel_id=20), "another server is its own"
    assert weekly.claim(DEPLOYMENT, "2027-03-29", channel_id=30), "so is the deployment's report"
    weekly.release(2, "2027-03-29")
    assert weekly.posted(2, "2027-03-29") is None
    assert weekly.claim(2, "2027-03-29", channel_id=20), "a failed send gave its claim back"
    weekly.finish(1, "2027-03-29", 555)
    weekly.release(1, "2027-03-29")
    assert weekly.posted(1, "2027-03-29") == ("done", 10, 555), "a posted week is never given back"
    assert not weekly.claim(1, "2027-03-29", channel_id=10)


def test_only_servers_that_opted_in_are_listed(store: Store) -> None:
    weekly = store.weekly
    weekly.set_enabled(3, True)
    weekly.set_enabled(1, True)
    weekly.set_enabled(2, True)
    weekly.set_enabled(2, False)
    assert weekly.opted_in() == [1, 3]
    assert weekly.enabled(1) and not weekly.enabled(2) and not weekly.enabled(4)


class Posts:
    """Stands in for Discord's message endpoint: records each multipart post, or refuses the channels in
    ``refuse``."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any], str, bytes, str]] = []
        self.refuse: set[int] = set()

    async def __call__(self, channel_id: int, payload: dict[str, Any], filename: str, data: bytes, nonce: str) -> int:
        if channel_id in self.refuse:
            raise DeliveryError("missing permissions", retryable=False, status=403)
        self.sent.append((channel_id, payload, filename, data, nonce))
        return 9000 + len(self.sent)


def reporter(store: Store, posts: Posts, **options: Any) -> WeeklyReporter:
    defaults: dict[str, Any] = {
        "timezone": "Europe/Vienna",
        "names": {},
        "cached_channels": lambda guild_id: {},
        "owns_guild": lambda guild_id: guild_id != 4,  # server 4 is another shard's
        "owns_channel": lambda channel_id: True,
        "clock": lambda: utc(2027, 3, 29, 7, 5).timestamp(),
    }
    return WeeklyReporter(store, posts, **(defaults | options))


async def test_the_job_posts_to_opted_in_servers_with_an_alerts_channel_once_a_week(store: Store) -> None:
    for guild, channel in ((1, 11), (3, 33), (4, 44)):
        store.newsroom.set_alert_channel(guild, channel)
    for guild in (1, 2, 4):  # 2 has no alerts channel, 3 did not opt in, 4 is not on our shards
        store.weekly.set_enabled(guild, True)
    posts = Posts()
    weekly = reporter(store, posts)

    outcomes = await weekly.run_scheduled()
    assert [(o.target, o.posted) for o in outcomes] == [(Target(1, 11), True)]
    [(channel, payload, filename, data, nonce)] = posts.sent
    assert nonce.startswith("wk") and len(nonce) <= 25, "Discord takes nonces of at most 25 characters"
    assert channel == 11 and filename == "week.png" and data.startswith(PNG)
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["attachments"] == [{"id": 0, "filename": "week.png"}]
    assert payload["embeds"][0]["image"] == {"url": "attachment://week.png"}
    [embed] = payload["embeds"]
    assert "No posts yet" in embed["description"] and "2027-03-29" in embed["footer"]["text"]
    assert store.weekly.posted(1, "2027-03-29") == ("done", 11, 9001)

    assert [o.why for o in await weekly.run_scheduled()] == ["already"], "a second trigger that week posts nothing"
    assert len(posts.sent) == 1
    # Another process (a restart, or a cluster member) reaches the same week: nothing either.
    assert not any(o.posted for o in await reporter(store, posts, member_id="other").run_scheduled())
    assert len(posts.sent) == 1


async def test_a_refused_send_is_tried_again_by_the_next_trigger_of_the_week(store: Store) -> None:
    store.newsroom.set_alert_channel(1, 11)
    store.weekly.set_enabled(1, True)
    posts = Posts()
    posts.refuse.add(11)
    weekly = reporter(store, posts)
    [failed] = await weekly.run_scheduled()
    assert not failed.posted and "missing permissions" in failed.why
    posts.refuse.clear()
    [retried] = await weekly.run_scheduled()
    assert retried.posted and len(posts.sent) == 1


async def test_the_deployment_report_goes_to_alerts_channel_once(store: Store) -> None:
    posts = Posts()
    weekly = reporter(store, posts, deployment_channel=77)
    assert [o.target for o in await weekly.run_scheduled()] == [Target(DEPLOYMENT, 77)]
    assert [p[0] for p in posts.sent] == [77]
    await weekly.run_scheduled()
    assert len(posts.sent) == 1
    elsewhere = reporter(store, Posts(), deployment_channel=77, owns_channel=lambda channel_id: False)
    assert await elsewhere.targets() == [], "the channel's own process posts it"


def test_alerts_weekly_report_is_off_by_default_and_needs_alerts_channel() -> None:
    from bot.config_alerts import parse_alerts
    from bot.config_values import ConfigError

    assert parse_alerts(None).weekly_report is False
    assert parse_alerts({"channel": 42, "weekly_report": True}).weekly_report is True
    with pytest.raises(ConfigError, match=r"alerts\.weekly_report.*needs alerts\.channel"):
        parse_alerts({"weekly_report": True})
    with pytest.raises(ConfigError, match=r"alerts\.weekly_report"):
        parse_alerts({"channel": 42, "weekly_report": "sometimes"})
