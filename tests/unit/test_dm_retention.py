"""The DM ledger's retention (``personal.keep_days``): settled rows go after keep_days in bounded batches, waiting
ones stay, and the sender prunes at its first pass and then once a day. Real stores, both backends."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import insert

from bot.config import ConfigError, parse_config
from bot.personal.dm_queue import DmSender
from bot.store import Store
from bot.store.personal_tables import DmState, dm_deliveries
from tests.personal_rows import dm_rows, follow_row, insert_rows
from tests.storyfiles import parsed_file
from tests.unit.test_dm_sender import DAY, PLANNER, Clock, Port

NOW = 1_800_000_000.0
OLD = NOW - 40 * DAY


def dm(story_id: int, user_id: int, state: DmState, planned_at: float = OLD, **values: Any) -> dict[str, Any]:
    row = {"due_at": None, "message_id": None, "sent_at": None, **values}
    return {"story_id": story_id, "user_id": user_id, "state": state, "reason": "AI", "planned_at": planned_at, **row}


def ledger(store: Store, rows: list[dict[str, Any]], stories: int) -> None:
    store.apply([parsed_file(f"{n}.md", n) for n in range(1, stories + 1)], PLANNER)  # nobody follows: no rows
    with store.engine.begin() as conn:
        conn.execute(insert(dm_deliveries), rows)


def keys(store: Store) -> set[tuple[int, int]]:
    return {(r["story_id"], r["user_id"]) for r in dm_rows(store.engine)}


def test_settled_rows_older_than_keep_days_go_and_waiting_ones_stay(store: Store) -> None:
    ledger(
        store,
        [
            dm(1, 1, DmState.SENT, message_id=10, sent_at=OLD),
            dm(1, 2, DmState.FAILED),
            dm(1, 3, DmState.CANCELLED),
            dm(1, 4, DmState.CAPPED, due_at=OLD, message_id=11, sent_at=OLD),  # counted in an "N more" line
            dm(1, 5, DmState.CAPPED, due_at=OLD),  # its "N more" line is still to come
            dm(1, 6, DmState.POST),
            dm(1, 7, DmState.DIGEST),
            dm(1, 8, DmState.SENT, due_at=OLD, message_id=12, sent_at=NOW - 3600),  # held long, sent today
            dm(1, 9, DmState.POST, due_at=NOW + DAY),  # a story dated in the future
            dm(2, 1, DmState.SENT, NOW - 10 * DAY, message_id=13, sent_at=NOW - 10 * DAY),
        ],
        stories=2,
    )
    assert store.dm_ledger.prune(30, NOW) == 4
    assert keys(store) == {(1, 5), (1, 6), (1, 7), (1, 8), (1, 9), (2, 1)}
    assert store.dm_ledger.prune(30, NOW) == 0
    assert store.dm_ledger.prune(5, NOW) == 1, "a shorter keep_days reaches the younger row"
    assert (2, 1) not in keys(store)


def test_one_keep_day_still_keeps_todays_dms_for_the_daily_cap(store: Store) -> None:
    # The daily cap counts DMs since the member's midnight, up to 25 hours back on the night clocks go back.
    ledger(
        store,
        [
            dm(1, 1, DmState.SENT, NOW - 24.5 * 3600, message_id=10, sent_at=NOW - 24.5 * 3600),
            dm(1, 2, DmState.SENT, NOW - 26 * 3600, message_id=11, sent_at=NOW - 26 * 3600),
        ],
        stories=1,
    )
    assert store.dm_ledger.prune(1, NOW) == 1
    assert keys(store) == {(1, 1)}


def test_pruning_deletes_in_bounded_batches(store: Store, statements: list[str]) -> None:
    ledger(store, [dm(1, user, DmState.CANCELLED) for user in range(1, 26)], stories=1)
    statements.clear()
    assert store.dm_ledger.prune(30, NOW, batch=10) == 25
    deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE FROM DM_DELIVERIES")]
    assert len(deletes) == 3, "10, 10, then 5 (fewer than a batch: done)"
    assert all("LIMIT" in s.upper() for s in deletes)
    assert dm_rows(store.engine) == []


async def test_the_sender_prunes_at_its_first_pass_then_once_a_day(store: Store) -> None:
    store.plans_dms = True
    clock = Clock()
    clock.now = NOW
    ledger(store, [dm(1, 1, DmState.SENT, message_id=10, sent_at=OLD)], stories=2)
    dms = DmSender(
        store, Port(), member_id="me", exclusive=True, default_cap=20, default_timezone="UTC", clock=clock, keep_days=30
    )
    await dms.run_once()
    assert keys(store) == set(), "pruned at the first pass"
    with store.engine.begin() as conn:
        conn.execute(insert(dm_deliveries), [dm(2, 1, DmState.SENT, message_id=11, sent_at=OLD)])
    clock.now += DAY - 1
    await dms.run_once()
    assert keys(store) == {(2, 1)}, "not again within the day"
    clock.now += 1
    await dms.run_once()
    assert keys(store) == set()


async def test_a_story_published_again_after_keep_days_reaches_its_followers_again(store: Store) -> None:
    store.plans_dms = True
    insert_rows(store.engine, follow=[follow_row(1, "AI", created_at=time.time() - DAY)])
    port, clock = Port(), Clock()
    dms = DmSender(store, port, member_id="me", exclusive=True, default_cap=20, default_timezone="UTC", clock=clock)
    store.apply([parsed_file("1.md", 1)], PLANNER)
    await dms.run_once()
    assert len(port.posts) == 1
    store.apply([parsed_file("1.md", 1, published=False)], PLANNER)
    store.apply([parsed_file("1.md", 1)], PLANNER)
    await dms.run_once()
    assert len(port.posts) == 1, "within keep_days its row stands: not sent twice"
    assert store.dm_ledger.prune(30, clock.now + 31 * DAY) == 1
    store.apply([parsed_file("1.md", 1, published=False)], PLANNER)
    store.apply([parsed_file("1.md", 1)], PLANNER)
    await dms.run_once()
    assert len(port.posts) == 2, "new again, as it is to the channels (the archive rule)"


def test_keep_days_is_read_and_checked() -> None:
    assert parse_config({}, {}).personal.keep_days == 30
    assert parse_config({"personal": {"keep_days": 7}}, {}).personal.keep_days == 7
    for bad in (0, 3651, "30", True):
        with pytest.raises(ConfigError) as info:
            parse_config({"personal": {"keep_days": bad}}, {})
        assert info.value.key == "personal.keep_days" and "'personal.keep_days'" in str(info.value)
