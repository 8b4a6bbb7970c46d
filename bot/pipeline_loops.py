"""The pipeline's background loops: the periodic rescan, the embargo's release timer, the retraction of files gone
for longer than their grace, and the cluster's pending-row sweep. A part of :class:`bot.pipeline.Pipeline`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.config import Config
from bot.send.queue import PipelineObserver
from bot.store import Store
from bot.store.meta_keys import MetaKey
from bot.store.store import DeliveryKey
from bot.stories.scanner import Scanner, ScanReport

log = logging.getLogger(__name__)

T = TypeVar("T")
RELEASE_RETRY = 5  # seconds before the release timer looks again after a store error
SWEEP_SECONDS = 5.0  # cluster: how often pending rows are looked for, in case a notification was missed


class PipelineLoops:
    config: Config
    store: Store
    scanner: Scanner
    _stop: asyncio.Event
    _rearm: asyncio.Event  # something was planned: the release timer looks at the ledger again
    _gone: asyncio.Event  # a removal may be waiting out its grace: the retract timer looks again
    _released_until: float  # held rows dated up to this moment have been queued

    @abstractmethod
    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...
    @abstractmethod
    async def wake(self, channel_ids: Iterable[int] | None) -> None: ...

    observer: PipelineObserver

    @property
    @abstractmethod
    def _tell_planned(self) -> bool: ...
    @abstractmethod
    async def _on_change(self, paths: set[str]) -> None: ...
    @abstractmethod
    def _enqueue(self, keys: Iterable[DeliveryKey], *, rearm: bool = True, notify: bool = True) -> None: ...

    async def _sweep_forever(self) -> None:
        """The safety net under LISTEN/NOTIFY: every few seconds, queue whatever is pending for our channels
        (a missed notification, a dead member's claim gone stale)."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=SWEEP_SECONDS)
            if self._stop.is_set():
                return
            await self.wake(None)

    async def _retract_forever(self) -> None:
        """Process files again once their removal has waited out ``articles.delete_grace``: those still gone are
        retracted, those back were seen as back (no-op, or an edit) when they returned."""
        while not self._stop.is_set():
            wait = await self.db(self.scanner.next_removal_in)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._gone.wait(), timeout=wait)
            self._gone.clear()
            due = await self.db(self.scanner.removals_due)
            if due:
                await self._on_change(set(due))

    async def _release_forever(self, upcoming: float | None) -> None:
        """Queue held deliveries the moment their story's date arrives. Sleeps until the next release time
        (``upcoming``); anything newly planned (``_rearm``) makes it look again, so a date moved by an edit moves
        the release with it."""
        announced: float | None = None
        while not self._stop.is_set():
            if upcoming is not None and upcoming != announced:
                log.info("Embargo: next release at %s", datetime.fromtimestamp(upcoming, UTC).isoformat())
            announced = upcoming
            # A hair past the release time: the loop's monotonic clock may run a little ahead of the wall clock.
            delay = None if upcoming is None else max(0.0, upcoming - time.time()) + 0.01
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rearm.wait(), timeout=delay)
            self._rearm.clear()  # before looking: whatever is planned from here on makes the loop look again
            try:
                upcoming = await self._release_due()
            except Exception:
                log.exception("Could not check for held stories to release; trying again in %d s", RELEASE_RETRY)
                upcoming, announced = time.time() + RELEASE_RETRY, None

    async def _release_due(self) -> float | None:
        """Queue the held rows that became due since the last look; returns the next release time, if any."""
        now = time.time()
        due = await self.db(self.store.ledger.released, self._released_until, now)
        self._released_until = now
        if due:
            log.info("Embargo lifted: %d deliveries released", len(due))
            self._enqueue(due, rearm=False)
        return await self.db(self.store.ledger.next_release, now)

    async def _rescan_forever(self) -> None:
        interval = self.config.articles.rescan_seconds
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
            if self._stop.is_set():
                return
            try:
                report = await self.rescan()
            except Exception:
                log.exception("Periodic rescan failed")
                continue
            if report.changed:
                log.info("Rescan found %d changes the watcher missed", report.changed)

    async def rescan(self) -> ScanReport:
        """Reconcile the whole folder now and queue whatever it planned."""
        result, report = await self.db(self.scanner.reconcile, announce=True)
        await self.db(self._record_scan, report)
        self.observer.files_rejected(result.rejected)
        self._enqueue(result.pending, notify=self._tell_planned)
        self._rearm.set()
        self._gone.set()
        return report

    def _record_scan(self, report: ScanReport) -> None:
        self.store.set_meta(MetaKey.LAST_SCAN, json.dumps({"at": time.time(), **dataclasses.asdict(report)}))
