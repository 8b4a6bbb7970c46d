"""Is the bot running? The running process writes a heartbeat into ``meta`` every few seconds and the time it
stopped on a clean shutdown; ``newsdesk status`` (another process) reads both.

A heartbeat older than ``STALE_AFTER`` intervals means the process is gone, even if it crashed or was killed
before it could say so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from bot.store import Store
from bot.store.errors import StoreError

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "heartbeat"
STOPPED_KEY = "stopped_at"
STALE_AFTER = 3  # missed heartbeats before the process counts as stopped


@dataclass(frozen=True, slots=True)
class Liveness:
    running: bool
    heartbeat_at: float | None = None
    stopped_at: float | None = None  # clean shutdown time; None after a crash
    every: float = 0.0


def read_liveness(store: Store, now: float | None = None) -> Liveness:
    now = time.time() if now is None else now
    raw, stopped = store.get_meta(HEARTBEAT_KEY), store.get_meta(STOPPED_KEY)
    beat = json.loads(raw) if raw else None
    return judge_liveness(
        beat["at"] if beat else None, beat["every"] if beat else 0.0, float(stopped) if stopped else None, now
    )


def judge_liveness(heartbeat_at: float | None, every: float, stopped_at: float | None, now: float) -> Liveness:
    """Running only with a fresh heartbeat written after the last clean stop."""
    if heartbeat_at is None:
        return Liveness(False, stopped_at=stopped_at)
    stopped_since = stopped_at is not None and stopped_at >= heartbeat_at
    fresh = now - heartbeat_at < STALE_AFTER * every
    return Liveness(fresh and not stopped_since, heartbeat_at, stopped_at if stopped_since else None, every)


def describe(live: Liveness, now: float) -> str:
    """One line for the status report."""
    if live.running:
        return f"running (last heartbeat {_ago(live.heartbeat_at, now)})"
    if live.stopped_at is not None:
        return f"stopped at {_stamp(live.stopped_at)}"
    if live.heartbeat_at is not None:
        return (
            f"stopped (no heartbeat since {_stamp(live.heartbeat_at)}, {_ago(live.heartbeat_at, now)}; "
            "it did not shut down cleanly)"
        )
    return "not running (no heartbeat recorded)"


async def beat_forever(store: Store, every: float) -> None:
    """Write a heartbeat now and every ``every`` seconds until cancelled. A failed write is logged, not fatal:
    the status report then shows the bot as stopped, which is the truth as far as the database knows."""
    while True:
        value = json.dumps({"at": time.time(), "every": every})
        try:
            await store.run_concurrent(store.set_meta, HEARTBEAT_KEY, value)
        except StoreError as exc:
            log.warning("Could not write the heartbeat: %s", exc)
        await asyncio.sleep(every)


async def mark_stopped(store: Store) -> None:
    await store.run_concurrent(store.set_meta, STOPPED_KEY, str(time.time()))


def _stamp(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


def _ago(moment: float | None, now: float) -> str:
    seconds = max(0, int(now - (moment or now)))
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"
