"""Running or stopped: the rule ``newsdesk status`` applies to the heartbeat a running bot writes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.heartbeat import (
    HEARTBEAT_KEY,
    STOPPED_KEY,
    beat_forever,
    describe,
    judge_liveness,
    mark_stopped,
    read_liveness,
)
from bot.store import Store


def test_fresh_heartbeat_means_running() -> None:
    live = judge_liveness(heartbeat_at=1000, every=10, stopped_at=None, now=1029)
    assert live.running
    assert describe(live, 1029) == "running (last heartbeat 29s ago)"


def test_three_missed_heartbeats_mean_stopped_even_without_a_clean_stop() -> None:
    live = judge_liveness(heartbeat_at=1000, every=10, stopped_at=None, now=1030)
    assert not live.running and live.stopped_at is None
    assert "did not shut down cleanly" in describe(live, 1030)


def test_a_clean_stop_after_the_last_heartbeat_means_stopped_at_once() -> None:
    live = judge_liveness(heartbeat_at=1000, every=10, stopped_at=1001, now=1002)
    assert not live.running and live.stopped_at == 1001
    assert describe(live, 1002) == "stopped at 1970-01-01 00:16:41 UTC"


def test_a_restart_after_a_stop_is_running_again() -> None:
    assert judge_liveness(heartbeat_at=2000, every=10, stopped_at=1001, now=2001).running


def test_no_heartbeat_at_all() -> None:
    assert describe(judge_liveness(None, 0, None, 5), 5) == "not running (no heartbeat recorded)"


async def test_the_heartbeat_and_the_stop_are_read_back_from_the_database(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'newsdesk.db'}")
    try:
        beat = asyncio.create_task(beat_forever(store, 5))
        while store.get_meta(HEARTBEAT_KEY) is None:  # noqa: ASYNC110  the beat is seen only in the database
            await asyncio.sleep(0.01)
        assert read_liveness(store).running
        assert json.loads(store.get_meta(HEARTBEAT_KEY) or "{}")["every"] == 5
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
        await mark_stopped(store)
        live = read_liveness(store)
        assert not live.running and live.stopped_at == float(store.get_meta(STOPPED_KEY) or 0)
    finally:
        store.close()
