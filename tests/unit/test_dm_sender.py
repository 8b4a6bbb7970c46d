"""The DM sender on a real store (both backends) with a recording Discord port and a clock the test moves."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.personal.dm_queue import DmSender
from bot.routes.planning import make_planner
from bot.send.errors import DeliveryError
from bot.store import Store
from tests.personal_rows import dm_rows, follow_row, insert_rows, settings_of, settings_row
from tests.storyfiles import parsed_file


@pytest.fixture(autouse=True)
def plans_dms(store: Store) -> None:
    store.plans_dms = True  # as the bot opens it in Discord mode (bot/app.py)


PLANNER = make_planner(lambda s: [], announce=True, on_unpublish="delete")
DAY = 86400.0


class Port:
    """Discord's DM routes: records what was posted; ``fail`` raises the next errors in order."""

    def __init__(self) -> None:
        self.opened: list[int] = []
        self.posts: list[tuple[int, dict[str, Any], str]] = []
        self.fail: list[DeliveryError] = []

    async def open_dm(self, user_id: int) -> int:
        if self.fail and self.fail[0].code == 10013:
            raise self.fail.pop(0)
        self.opened.append(user_id)
        return 5000 + user_id

    async def post_dm(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        if self.fail:
            raise self.fail.pop(0)
        self.posts.append((channel_id, payload, nonce))
        return 9000 + len(self.posts)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def port() -> Port:
    return Port()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sender(store: Store, port: Port, clock: Clock, cap: int = 20) -> DmSender:
    return DmSender(store, port, member_id="me", exclusive=True, default_cap=cap, default_timezone="UTC", clock=clock)


def states(store: Store) -> dict[tuple[int, int], str]:
    return {(r["story_id"], r["user_id"]): r["state"] for r in dm_rows(store.engine)}


async def test_a_story_two_follows_match_goes_as_one_dm_with_its_reason(store: Store, port: Port, clock: Clock) -> None:
    insert_rows(store.engine, follow=[follow_row(1, "AI"), follow_row(1, "story", kind="words")])
    store.apply([parsed_file("1.md", 1)], PLANNER)
    await sender(store, port, clock).run_once()
    [(channel, payload, _)] = port.posts
    assert channel == 5001 and port.opened == [1]
    assert payload["content"] == "You follow AI" and payload["embeds"][0]["title"] == "Story number 1"
    assert payload["allowed_mentions"]["parse"] == []
    [row] = dm_rows(store.engine)
    assert (row["state"], row["message_id"], row["claimed_by"]) == ("sent", 9001, None)
    assert settings_of(store.engine, 1)["dm_channel_id"] == 5001  # type: ignore[index]
    store.apply([parsed_file("2.md", 2)], PLANNER)
    await sender(store, port, clock).run_once()
    assert port.opened == [1], "the DM channel is opened once and remembered"
    assert len(port.posts) == 2


async def test_quiet_hours_hold_dms_then_send_them_as_one_message(store: Store, port: Port, clock: Clock) -> None:
    clock.now = 1_800_000_000.0 - (1_800_000_000.0 % DAY) + 23 * 3600  # 23:00 UTC
    insert_rows(
        store.engine, follow=[follow_row(1, "AI")], settings=[settings_row(1, quiet_start="22:00", quiet_end="07:00")]
    )
    store.apply([parsed_file("1.md", 1), parsed_file("2.md", 2), parsed_file("3.md", 3)], PLANNER)
    dms = sender(store, port, clock)
    await dms.run_once()
    assert port.posts == []
    morning = clock.now + 8 * 3600
    assert {r["due_at"] for r in dm_rows(store.engine)} == {morning}
    clock.now = morning - 1
    await dms.run_once()
    assert port.posts == []
    clock.now = morning
    await dms.run_once()
    [(_, payload, _)] = port.posts
    assert len(payload["embeds"]) == 3 and "3 stories" in payload["content"]
    assert set(states(store).values()) == {"sent"}


async def test_over_the_daily_cap_the_rest_is_told_once_the_day_is_over(store: Store, port: Port, clock: Clock) -> None:
    clock.now = 1_800_000_000.0 - (1_800_000_000.0 % DAY) + 12 * 3600
    insert_rows(
        store.engine, follow=[follow_row(1, "AI"), follow_row(2, "AI")], settings=[settings_row(2, digest_time="08:00")]
    )
    dms = sender(store, port, clock, cap=1)
    for n in (1, 2, 3):
        store.apply([parsed_file(f"{n}.md", n)], PLANNER)
        await dms.run_once()
    assert states(store) == {
        (1, 1): "sent",
        (2, 1): "capped",
        (3, 1): "capped",
        (1, 2): "sent",
        (2, 2): "digest",
        (3, 2): "digest",  # member 2 has a digest: the rest waits for it
    }
    assert len(port.posts) == 2
    clock.now += 13 * 3600  # the next day, 01:00
    await dms.run_once()
    await dms.run_once()
    told = [p for c, p, _ in port.posts if c == 5001][1:]
    assert len(told) == 1 and told[0]["content"].startswith("2 more stories")


async def test_a_personal_digest_at_its_hour_ranks_and_settles_its_stories(
    store: Store, port: Port, clock: Clock
) -> None:
    midnight = 1_800_000_000.0 - (1_800_000_000.0 % DAY)
    clock.now = midnight + 6 * 3600
    insert_rows(
        store.engine,
        follow=[follow_row(1, "AI", mode="digest")],
        settings=[settings_row(1, digest_time="08:00", created_at=midnight - DAY)],
    )
    store.apply([parsed_file("1.md", 1, quality=10), parsed_file("2.md", 2, quality=90)], PLANNER)
    dms = sender(store, port, clock)
    await dms.run_once()
    assert port.posts == [], "not before its hour"
    clock.now = midnight + 8 * 3600 + 5
    await dms.run_once()
    [(_, payload, _)] = port.posts
    text = str(payload["embeds"])
    assert text.index("Story number 2") < text.index("Story number 1"), "ranked like a channel digest"
    assert set(states(store).values()) == {"sent"}
    await dms.run_once()
    assert len(port.posts) == 1, "once per run"


async def test_closed_dms_pause_the_member_and_nothing_is_retried(store: Store, port: Port, clock: Clock) -> None:
    insert_rows(store.engine, follow=[follow_row(1, "AI")])
    store.apply([parsed_file("1.md", 1), parsed_file("2.md", 2, topics=["Space"])], PLANNER)
    insert_rows(store.engine, follow=[follow_row(1, "Space", created_at=time.time() - 3600)])
    port.fail = [DeliveryError("missing permissions", retryable=False, status=403, code=50007)]
    dms = sender(store, port, clock)
    await dms.run_once()
    member = settings_of(store.engine, 1)
    assert member is not None and member["paused"] and member["paused_reason"] == "dms_closed"
    assert member["told_at"] is None
    assert set(states(store).values()) == {"cancelled"}
    store.apply([parsed_file("3.md", 3)], PLANNER)
    await dms.run_once()
    assert port.posts == [] and (3, 1) not in states(store), "a paused member gets nothing planned"


async def test_an_unknown_user_is_forgotten(store: Store, port: Port, clock: Clock) -> None:
    insert_rows(store.engine, follow=[follow_row(1, "AI")], settings=[settings_row(1)])
    store.apply([parsed_file("1.md", 1)], PLANNER)
    port.fail = [DeliveryError("not found", retryable=False, status=404, code=10013)]
    await sender(store, port, clock).run_once()
    assert dm_rows(store.engine) == [] and settings_of(store.engine, 1) is None
    store.apply([parsed_file("2.md", 2)], PLANNER)
    assert dm_rows(store.engine) == [], "the follows are gone too"


async def test_other_errors_are_retried_a_bounded_number_of_times_then_failed(
    store: Store, port: Port, clock: Clock
) -> None:
    insert_rows(store.engine, follow=[follow_row(1, "AI")])
    store.apply([parsed_file("1.md", 1)], PLANNER)
    port.fail = [DeliveryError("Discord answered 500", retryable=True, status=500) for _ in range(10)]
    dms = sender(store, port, clock)
    for _ in range(10):
        await dms.run_once()
        clock.now += 3600
    [row] = dm_rows(store.engine)
    assert (row["state"], row["attempts"]) == ("failed", 5)
    assert len(port.fail) == 5, "five attempts, then no more"


async def test_a_story_dated_in_the_future_reaches_members_at_its_date(store: Store, port: Port, clock: Clock) -> None:
    store.dm_embargo = True  # articles.embargo, as the bot opens the store
    insert_rows(store.engine, follow=[follow_row(1, "AI"), follow_row(2, "AI", mode="digest")])
    dated = time.time() + 3 * DAY
    iso = datetime.fromtimestamp(dated, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store.apply([parsed_file("1.md", 1, publishedDateTime=iso)], PLANNER)
    assert {r["due_at"] for r in dm_rows(store.engine)} == {float(int(dated))}
    dms = sender(store, port, clock)
    clock.now = time.time()
    await dms.run_once()
    assert port.posts == [], "held like the channels' posts until the story's date"
    clock.now = dated + 1
    await dms.run_once()
    [(_, payload, _)] = port.posts
    assert payload["embeds"][0]["title"] == "Story number 1"
    assert states(store) == {(1, 1): "sent", (1, 2): "digest"}
