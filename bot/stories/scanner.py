"""Bringing the store up to date with the articles folder: single paths (from watch events) or a full scan."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.routes.planning import ChannelsFor, OnUnpublish, Router, make_planner
from bot.store import FileFailed, FileParsed, FileRemoved, ScanItem, Store
from bot.store.indexing import ApplyResult
from bot.stories.file_reader import read_file, read_job
from bot.stories.parser import is_story_name
from bot.stories.safe_open import listed_stat

log = logging.getLogger(__name__)

CHUNK = 500
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 2000
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class ScanReport:
    files: int = 0
    changed: int = 0
    parsed: int = 0
    failed: int = 0
    removed: int = 0
    seconds: float = 0.0


class Scanner:
    """Turns files into scan items and hands them to the store in batches. Runs in one worker thread."""

    def __init__(
        self,
        root: Path,
        store: Store,
        *,
        max_bytes: int,
        channels_for: ChannelsFor | Router,
        on_unpublish: OnUnpublish,
        delete_grace: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root.resolve()
        self.store = store
        self.max_bytes = max_bytes
        self.channels_for = channels_for
        self.on_unpublish = on_unpublish
        # A file gone for less than this is a flicker (git checkout, a sync tool's replace), not a retraction: its
        # removal waits here (path -> when first seen gone) and is recorded only if the file is still gone then.
        self.delete_grace = delete_grace
        self._clock = clock
        self._gone: dict[str, float] = {}

    def walk(self) -> dict[str, tuple[int, int]]:
        """Every story file under the root: relative POSIX path -> (mtime_ns, size)."""
        found: dict[str, tuple[int, int]] = {}
        prefix = len(str(self.root)) + 1
        root = str(self.root)
        for entry in iter_story_files(root):
            try:
                st = listed_stat(root, entry)
            except OSError:  # vanished between listing and stat
                continue
            found[_posix(entry.path[prefix:])] = (st.st_mtime_ns, st.st_size)
        return found

    def reconcile(self, *, announce: bool, progress: Progress | None = None) -> tuple[ApplyResult, ScanReport]:
        """Compare the folder with the store (path, mtime, size; content hash when those differ).

        A big catch-up (the first index of a large folder) parses in a process pool: YAML parsing is
        CPU-bound and the GIL would otherwise hold it to one core.
        """
        started = time.perf_counter()
        on_disk = self.walk()
        for path in [p for p in self._gone if p in on_disk]:
            del self._gone[path]  # back: compared with the store like any other file
        stats = self.store.file_stats()
        changed = [p for p, stat in on_disk.items() if stats.get(p) != stat]
        removed = [p for p in stats if p not in on_disk]
        report = ScanReport(files=len(on_disk), changed=len(changed) + len(removed))
        total = ApplyResult()
        todo = sorted(changed) + removed
        known = self.store.file_states(todo) if todo else {}
        jobs = [(str(self.root), rel, known.get(rel), self.max_bytes, False) for rel in todo]
        workers = min(os.cpu_count() or 1, 4)
        with _reader(workers if len(jobs) >= PARALLEL_THRESHOLD else 1) as read_all:
            done = 0
            for items in _chunked(read_all(jobs), CHUNK):
                _merge(total, self._record(items, announce))
                done += len(items)
                if progress:
                    progress(done, len(todo))
        report.parsed, report.failed, report.removed = total.parsed, total.failed, total.removed
        report.seconds = time.perf_counter() - started
        return total, report

    def process_paths(
        self,
        paths: Iterable[str],
        *,
        announce: bool = True,
        force: bool = False,
    ) -> ApplyResult:
        """Read the given relative paths and record them; files that vanished are recorded as removed.

        A path naming a folder stands for every story file under it.
        """
        unique = list(dict.fromkeys(self._expand_folders(paths)))
        items = [read_file(str(self.root), rel, self.store.file_state(rel), self.max_bytes, force) for rel in unique]
        for rel, item in zip(unique, items, strict=True):
            if not isinstance(item, FileRemoved):
                self._gone.pop(rel, None)  # back (or never gone): no removal waits for it
        return self._record(items, announce)

    def removals_due(self) -> list[str]:
        """Paths whose grace is over: the caller processes them again, and those still gone are removed."""
        now = self._clock()
        return [path for path, since in self._gone.items() if now - since >= self.delete_grace]

    def next_removal_in(self) -> float | None:
        """Seconds until the next waiting removal is due (None: none waits)."""
        if not self._gone:
            return None
        return max(0.0, min(self._gone.values()) + self.delete_grace - self._clock())

    def _expand_folders(self, paths: Iterable[str]) -> list[str]:
        """A path naming a folder stands for its story files on disk and the known files under it: a folder moved
        out of (or into) the tree is a batch of removals (or new files) at once, not news for the next rescan."""
        expanded: list[str] = []
        prefix = len(str(self.root)) + 1
        for rel in paths:
            full = self.root / rel
            # Like the walk, never into a symlinked folder: it may lead out of the articles folder.
            if full.is_dir() and not full.is_symlink():
                expanded += [_posix(entry.path[prefix:]) for entry in iter_story_files(str(full))]
            elif is_story_name(rel.rsplit("/", 1)[-1]):
                expanded.append(rel)
                continue  # a story file, there or gone
            expanded += self.store.paths_under(rel) if rel else list(self.store.file_stats())
        return expanded

    def _wait_out_removals(self, batch: list[ScanItem]) -> list[ScanItem]:
        """Hold each removal until its file has been gone for ``delete_grace``. A new file with the exact bytes of a
        file waiting here is that file renamed (its removal seen first): both go into this batch together."""
        if self.delete_grace <= 0:
            return batch
        now = self._clock()
        kept: list[ScanItem] = []
        for item in batch:
            if isinstance(item, FileRemoved):
                since = self._gone.setdefault(item.path, now)
                if now - since < self.delete_grace:
                    continue
                del self._gone[item.path]
            kept.append(item)
        new_bytes = {item.sha256 for item in kept if isinstance(item, FileParsed)}
        if new_bytes and self._gone:
            for path, state in self.store.file_states(list(self._gone)).items():
                if state.sha256 in new_bytes:
                    del self._gone[path]
                    kept.append(FileRemoved(path))
        return kept

    def _fresh_rejections(self, failed: list[FileFailed]) -> list[tuple[str, str]]:
        """The rejections worth reporting: a file whose stored state already has the same error was reported
        when it got it. A slow copy re-parses a half-written file on every write, failing the same way each
        time; it is reported again only when the reason changes or after the file parsed OK in between."""
        known = self.store.file_states([item.path for item in failed]) if failed else {}
        return [(i.path, i.error) for i in failed if i.path not in known or known[i.path].error != i.error]

    def _record(self, items: Iterable[ScanItem | None], announce: bool) -> ApplyResult:
        batch = self._wait_out_removals([item for item in items if item is not None])
        rejected = self._fresh_rejections([item for item in batch if isinstance(item, FileFailed)])
        for _path, error in rejected:
            log.warning("Rejected story file %s", error)
        if not batch:
            return ApplyResult()
        planner = make_planner(self.channels_for, announce=announce, on_unpublish=self.on_unpublish)
        result = self.store.apply(batch, planner, announce=announce)
        result.rejected += rejected
        if result.reparse:
            _merge(result, self.process_paths(result.reparse, announce=announce, force=True))
        return result


@contextlib.contextmanager
def _reader(workers: int) -> Iterator[Callable[[list[Any]], Iterator[ScanItem | None]]]:
    if workers <= 1:
        yield lambda jobs: map(read_job, jobs)
        return
    # spawn, not fork: this runs in a worker thread of a process that has an event loop and other threads.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield lambda jobs: pool.map(read_job, jobs, chunksize=64)


def _chunked(items: Iterable[ScanItem | None], size: int) -> Iterator[list[ScanItem | None]]:
    batch: list[ScanItem | None] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def iter_story_files(top: str) -> Iterator[os.DirEntry[str]]:
    """Story files under ``top``, skipping hidden folders. Iterative and name-based: a rescan of a large
    folder spends its time in the unavoidable stat calls, not here.

    Symlinks are not followed here, and whatever bears a story name is listed (a symlink, a FIFO): reading it
    decides (``bot.stories.safe_open``), so a file that is refused is reported, not silently missing."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError as exc:
            log.warning("Cannot list %s: %s", folder, exc)
            continue
        with entries:
            for entry in entries:
                name = entry.name
                if name[0] == ".":
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif is_story_name(name):
                        yield entry
                except OSError:
                    continue


def _posix(rel: str) -> str:
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def _merge(total: ApplyResult, part: ApplyResult) -> None:
    total.pending += part.pending
    total.parsed += part.parsed
    total.failed += part.failed
    total.removed += part.removed
    total.dms += part.dms
    total.rejected += part.rejected
