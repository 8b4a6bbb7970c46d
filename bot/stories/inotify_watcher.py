"""Linux inotify watching: a file is handed over the moment its writer is done with it.

The kernel says when a writer is done: ``IN_CLOSE_WRITE`` (closed after writing) and ``IN_MOVED_TO`` (renamed
into place). Those, deletions and renames away go straight through, with no debounce. A file that was created or
modified but not closed yet waits; the quiet timer (``articles.debounce_ms``) only matters for writers that keep
a file open, and even then a file still open for writing by a process we can see in ``/proc`` keeps waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from inotify_simple import INotify, flags

from bot.stories.parser import is_story_path

log = logging.getLogger(__name__)

OnChange = Callable[[set[str]], Awaitable[None]]

DIR_MASK = (
    flags.CLOSE_WRITE
    | flags.MOVED_TO
    | flags.MOVED_FROM
    | flags.DELETE
    | flags.CREATE
    | flags.MODIFY
    | flags.ATTRIB
    | flags.DELETE_SELF
    | flags.ONLYDIR
    | flags.EXCL_UNLINK
)
DONE = flags.CLOSE_WRITE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE
WRITING = flags.CREATE | flags.MODIFY
# A file still open for writing is looked at again this often, and handed over anyway once its writer has been
# silent this long (a writer that never closes, such as a log-style appender or an editor holding the file).
RECHECK_S = 0.25
MAX_OPEN_QUIET_S = 10.0


class InotifyUnavailable(Exception):
    """inotify cannot watch this folder (no instance or no watch left); the caller falls back to watchfiles."""


@dataclass(slots=True)
class _Writing:
    deadline: float
    last_write: float


def _hidden(rel: str) -> bool:
    return any(part.startswith(".") for part in rel.split("/"))


def files_open_for_writing(paths: Collection[str]) -> set[str]:
    """Those of ``paths`` (absolute, resolved) that some process we can see has open for writing."""
    wanted, found = set(paths), set[str]()
    try:
        pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:  # gone, or another user's process
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target not in wanted or target in found:
                continue
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as info:
                    mode = next((int(line.split()[1], 8) for line in info if line.startswith("flags:")), 0)
            except (OSError, ValueError):
                continue
            if mode & (os.O_WRONLY | os.O_RDWR):
                found.add(target)
    return found


class InotifyWatch:
    """Watches ``root`` and every folder under it (new folders get watches as they appear)."""

    def __init__(self, root: Path, *, quiet_ms: int, max_open_quiet_s: float = MAX_OPEN_QUIET_S) -> None:
        self.root = root
        self._quiet = quiet_ms / 1000
        self._max_open_quiet = max_open_quiet_s
        self._inotify: INotify | None = None
        self._dirs: dict[int, str] = {}  # watch descriptor -> folder relative to the root ("" for the root)
        self._ready: set[str] = set()
        self._writing: dict[str, _Writing] = {}
        self._wake = asyncio.Event()
        self._failure: Exception | None = None

    async def run(self, on_change: OnChange, stop_event: asyncio.Event) -> None:
        """Call ``on_change`` with batches of relative paths until ``stop_event`` is set."""
        try:
            self._inotify = INotify(nonblocking=True)
        except OSError as exc:
            reason = f"cannot start inotify ({exc.strerror}; see fs.inotify.max_user_instances)"
            raise InotifyUnavailable(reason) from exc
        loop = asyncio.get_running_loop()
        fd = self._inotify.fileno()
        stopper = asyncio.create_task(self._wake_on(stop_event), name="watch-stop")
        try:
            self._add_tree("")
            # Events are read as soon as they arrive, also while ``on_change`` runs: whatever came in meanwhile
            # is the next batch, so a burst of files becomes a few store transactions, without waiting for more.
            # (Only waking up here would leave the descriptor readable and the event loop spinning.)
            loop.add_reader(fd, self._on_readable)
            try:
                while not stop_event.is_set():
                    await self._sleep()
                    if self._failure is not None:
                        raise self._failure
                    if stop_event.is_set():
                        break
                    await self._expire_writers()
                    batch = {path for path in self._ready if path not in self._writing}
                    self._ready -= batch
                    if batch:
                        await on_change(batch)
            finally:
                loop.remove_reader(fd)
        finally:
            stopper.cancel()
            self._inotify.close()

    def _on_readable(self) -> None:
        try:
            self._drain()
        except Exception as exc:  # raised in run(), not lost in the event loop's exception handler
            self._failure = exc
            assert self._inotify is not None
            asyncio.get_running_loop().remove_reader(self._inotify.fileno())
        self._wake.set()

    async def _wake_on(self, stop_event: asyncio.Event) -> None:
        await stop_event.wait()
        self._wake.set()

    async def _sleep(self) -> None:
        """Until the kernel has events, stop is asked, or the next file still being written is due."""
        if self._writing:
            delay = max(0.0, min(w.deadline for w in self._writing.values()) - time.monotonic())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
        else:
            await self._wake.wait()
        self._wake.clear()

    def _add_tree(self, rel: str) -> None:
        """Watch a folder and every non-hidden folder under it."""
        assert self._inotify is not None
        top = self.root / rel if rel else self.root
        if not rel and not top.is_dir():
            raise FileNotFoundError(f"the articles folder {top} does not exist")
        for folder, subfolders, _ in os.walk(top):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            folder_rel = os.path.relpath(folder, self.root).replace(os.sep, "/")
            try:
                wd = self._inotify.add_watch(folder, DIR_MASK)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise InotifyUnavailable(
                        f"inotify watch limit reached at {folder} (raise fs.inotify.max_user_watches)"
                    ) from exc
                continue  # removed while we walked: its own DELETE event says so
            self._dirs[wd] = "" if folder_rel == "." else folder_rel

    def _forget_tree(self, rel: str) -> None:
        assert self._inotify is not None
        for wd, folder in list(self._dirs.items()):
            if folder == rel or folder.startswith(rel + "/"):
                del self._dirs[wd]
                with contextlib.suppress(OSError):  # already gone with the folder
                    self._inotify.rm_watch(wd)

    def _drain(self) -> None:
        assert self._inotify is not None
        self._handle(self._inotify.read(timeout=0))

    def _handle(self, events: list) -> None:
        now = time.monotonic()
        for event in events:
            mask = event.mask
            if mask & flags.Q_OVERFLOW:
                # Events were lost: rewatch any folder we missed and have the receiver re-read everything.
                log.warning("Too many file events at once in %s; re-reading the whole folder", self.root)
                self._add_tree("")
                self._ready.add("")
                continue
            if mask & flags.IGNORED:
                self._dirs.pop(event.wd, None)
                continue
            parent = self._dirs.get(event.wd)
            if parent is None:
                continue
            if mask & flags.DELETE_SELF:
                if parent == "":
                    log.warning("The articles folder %s was removed", self.root)
                continue
            rel = f"{parent}/{event.name}" if parent else event.name
            if _hidden(rel):
                continue
            if mask & flags.ISDIR:
                if mask & (flags.CREATE | flags.MOVED_TO):
                    # Files can land before the watch exists: the receiver scans the whole new folder.
                    self._add_tree(rel)
                    self._ready.add(rel)
                elif mask & (flags.MOVED_FROM | flags.DELETE):
                    # Moved out (or gone): its files leave with it, without an event each. The receiver looks up
                    # the files it knew there; the folder's watches would report under a stale path, so they go.
                    self._forget_tree(rel)
                    self._ready.add(rel)
                continue
            if not is_story_path(rel):
                continue
            if mask & DONE:
                self._writing.pop(rel, None)
                self._ready.add(rel)
            elif mask & WRITING:
                self._writing[rel] = _Writing(deadline=now + self._quiet, last_write=now)
            elif mask & flags.ATTRIB:
                # chmod or touch: an unreadable file may have become readable. Not a sign the writer is done.
                self._ready.add(rel)

    async def _expire_writers(self) -> None:
        """Files quiet for the debounce time without a close: hand them over unless still open for writing."""
        now = time.monotonic()
        due = [rel for rel, w in self._writing.items() if w.deadline <= now]
        if not due:
            return
        full = {rel: str(self.root / rel) for rel in due}
        still_open = await asyncio.to_thread(files_open_for_writing, full.values())
        self._drain()  # a close or a write that came in meanwhile decides instead
        now = time.monotonic()
        for rel in due:
            writing = self._writing.get(rel)
            if writing is None or writing.deadline > now:
                continue  # closed or written again meanwhile
            if full[rel] in still_open and now - writing.last_write < self._max_open_quiet:
                writing.deadline = now + RECHECK_S
                continue
            del self._writing[rel]
            self._ready.add(rel)
