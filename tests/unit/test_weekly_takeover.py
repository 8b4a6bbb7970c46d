"""A (server, week) left ``posting`` by a process that died between claiming it and recording its message: taken
over on both backends only when its claimer is not live, and finished by the next trigger, which adopts the
report found in the channel instead of posting it twice."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from bot.store import Store
from bot.store.cluster import Member
from bot.weekly.report import find_report, weekly_payload, weekly_ref
from bot.weekly.runner import WeeklyReporter
from tests.unit.test_weekly import Posts

WEEK = "2027-03-29"
BOT, SOMEONE = 42, 7


def live(store: Store, member_id: str, now: float) -> None:
    store.cluster.beat(Member(member_id, "host", 1, 1, (0,), (0,), True, False, now, now, 5.0))


def test_only_a_dead_claimers_week_is_taken_over(store: Store) -> None:
    weekly = store.weekly
    now = time.time()
    live(store, "alive", now)
    live(store, "me", now)
    weekly.claim(1, WEEK, channel_id=11, member_id="gone", now=now - 1)
    weekly.claim(2, WEEK, channel_id=22, member_id="alive", now=now)
    weekly.claim(3, WEEK, channel_id=33, member_id="me", now=now)
    weekly.claim(4, WEEK, channel_id=44, member_id="gone", now=now)
    weekly.finish(4, WEEK, 444)

    assert weekly.take_over(2, WEEK, "me") is None, "its claimer is live"
    assert weekly.take_over(3, WEEK, "me") is None, "our own claim is in our hands already"
    assert weekly.take_over(4, WEEK, "me") is None, "a recorded week is done for good"
    assert weekly.take_over(5, WEEK, "me") is None, "never claimed"
    taken = weekly.take_over(1, WEEK, "me")
    assert taken is not None and (taken.previous, taken.channel_id) == ("gone", 11)
    assert weekly.take_over(1, WEEK, "other") is None, "now held by a live member"
    assert weekly.posted(1, WEEK) == ("posting", 11, None)
    weekly.finish(1, WEEK, 111, channel_id=12)
    assert weekly.posted(1, WEEK) == ("done", 12, 111), "recorded where the report is"


def test_sqlite_takes_over_any_earlier_process_claim(sqlite_store: Store) -> None:
    """One process owns the SQLite file (its lock file), so any other id is an earlier, dead life of it."""
    weekly = sqlite_store.weekly
    live(sqlite_store, "earlier", time.time())  # under exclusive, even a fresh heartbeat row is an earlier life
    weekly.claim(1, WEEK, channel_id=11, member_id="earlier")
    weekly.claim(2, WEEK, channel_id=22, member_id="me")
    assert weekly.take_over(1, WEEK, "me") is None, "without exclusive, the heartbeat counts"
    assert weekly.take_over(2, WEEK, "me", exclusive=True) is None, "ours"
    taken = weekly.take_over(1, WEEK, "me", exclusive=True)
    assert taken is not None and taken.previous == "earlier"


def test_a_dead_claim_is_taken_over_exactly_once_under_concurrency(store: Store) -> None:
    store.weekly.claim(1, WEEK, channel_id=11, member_id="gone")
    now = time.time()
    takers = [f"taker-{n}" for n in range(4)]
    for taker in takers:
        live(store, taker, now)
    won: list[str] = []
    start = threading.Barrier(len(takers))

    def take(taker: str) -> None:
        start.wait()
        if store.weekly.take_over(1, WEEK, taker) is not None:
            won.append(taker)

    threads = [threading.Thread(target=take, args=(t,)) for t in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


class Channel:
    """Stands in for GET /channels/{id}/messages: the messages posted so far, newest first."""

    def __init__(self, posts: Posts) -> None:
        self.posts = posts
        self.before: list[dict[str, Any]] = []  # messages made before the crash (their senders never learnt)
        self.broken = False
        self.reads: list[int] = []

    async def recent_messages(self, channel_id: int, limit: int = 50) -> list[dict[str, Any]]:
        self.reads.append(channel_id)
        if self.broken:
            raise RuntimeError("503")
        return [m for m in self.before if m["channel_id"] == channel_id][::-1][:limit]


def reporter(
    store: Store, posts: Posts, channel: Channel, member_id: str, *, exclusive: bool | None = None
) -> WeeklyReporter:
    return WeeklyReporter(
        store,
        posts,
        timezone="Europe/Vienna",
        names={},
        cached_channels=lambda guild_id: {},
        owns_guild=lambda guild_id: True,
        owns_channel=lambda channel_id: True,
        member_id=member_id,
        exclusive=store.single_process if exclusive is None else exclusive,
        history=channel,
        author_id=lambda: BOT,
        clock=lambda: datetime(2027, 3, 29, 7, 5, tzinfo=UTC).timestamp(),
    )


def message(message_id: int, channel_id: int, guild_id: int, *, author: int = BOT) -> dict[str, Any]:
    payload = weekly_payload("This week: 1 post", WEEK, "Europe/Vienna", weekly_ref(guild_id, WEEK))
    return {"id": str(message_id), "channel_id": channel_id, "author": {"id": str(author)}, **payload}


def opted_in(store: Store, guild_id: int, channel_id: int) -> None:
    store.newsroom.set_alert_channel(guild_id, channel_id)
    store.weekly.set_enabled(guild_id, True)


async def test_a_report_made_before_the_crash_is_adopted_not_posted_again(store: Store) -> None:
    opted_in(store, 1, 11)
    store.weekly.claim(1, WEEK, channel_id=11, member_id="dead")
    posts = Posts()
    channel = Channel(posts)
    # The channel holds the deployment's report of the week (same channel), a copy by someone else, and ours.
    channel.before = [message(500, 11, 0), message(501, 11, 1, author=SOMEONE), message(502, 11, 1)]
    weekly = reporter(store, posts, channel, "me")
    live(store, "me", time.time())

    [outcome] = await weekly.run_scheduled()
    assert outcome.posted and outcome.adopted and outcome.message_id == 502
    assert posts.sent == [], "not posted twice"
    assert store.weekly.posted(1, WEEK) == ("done", 11, 502)
    assert [o.why for o in await weekly.run_scheduled()] == ["already"]


async def test_a_report_discord_never_made_is_posted_by_the_taker(store: Store) -> None:
    opted_in(store, 1, 11)
    store.weekly.claim(1, WEEK, channel_id=11, member_id="dead")
    posts = Posts()
    channel = Channel(posts)
    channel.before = [message(600, 11, 1) | {"embeds": [{"title": "Newsdesk: the week", "footer": {"text": "x"}}]}]
    weekly = reporter(store, posts, channel, "me")
    live(store, "me", time.time())

    [outcome] = await weekly.resume_orphans()
    assert outcome.posted and not outcome.adopted and channel.reads == [11]
    [(channel_id, payload, *_)] = posts.sent
    assert channel_id == 11
    assert find_report([message(1, 11, 1) | payload], weekly_ref(1, WEEK), author_id=None) == 1, "marked"
    assert store.weekly.posted(1, WEEK) == ("done", 11, 9001)
    assert await weekly.resume_orphans() == []


async def test_a_live_holders_week_is_left_alone(store: Store) -> None:
    opted_in(store, 1, 11)
    opted_in(store, 2, 22)
    live(store, "busy", time.time())
    store.weekly.claim(1, WEEK, channel_id=11, member_id="busy")  # another live cluster member, mid-post
    store.weekly.claim(2, WEEK, channel_id=22, member_id="me")  # this process, mid-post (schedule:now meanwhile)
    posts = Posts()
    channel = Channel(posts)
    weekly = reporter(store, posts, channel, "me", exclusive=False)

    assert [o.why for o in await weekly.run_scheduled()] == ["already", "already"]
    assert await weekly.resume_orphans() == []
    assert posts.sent == [] and channel.reads == []
    assert store.weekly.posted(1, WEEK) == ("posting", 11, None)
    assert store.weekly.posted(2, WEEK) == ("posting", 22, None)


async def test_an_unreadable_channel_means_posting_and_a_moved_alerts_channel_gets_it(store: Store) -> None:
    opted_in(store, 1, 12)  # the admin moved the alerts channel after the crash
    store.weekly.claim(1, WEEK, channel_id=11, member_id="dead")
    posts = Posts()
    channel = Channel(posts)
    channel.broken = True
    weekly = reporter(store, posts, channel, "me")
    live(store, "me", time.time())

    [outcome] = await weekly.run_scheduled()
    assert outcome.posted and not outcome.adopted
    assert channel.reads == [11], "looked where the dead claimer was posting"
    assert [p[0] for p in posts.sent] == [12]
    assert store.weekly.posted(1, WEEK) == ("done", 12, 9001)
