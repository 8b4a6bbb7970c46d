"""Filesystem events for the articles folder, batched (watchfiles / inotify)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from bot.stories.parser import is_story_path

if sys.platform == "linux":
    from bot.stories.inotify_watcher import InotifyUnavailable, InotifyWatch

log = logging.getLogger(__name__)

OnChange = Callable[[set[str]], Awaitable[None]]


class StoryFilter:
    """watchfiles filter: only story files, relative to the root, never hidden files or editor leftovers."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)

    def __call__(self, change: Change, path: str) -> bool:
        rel = os.path.relpath(path, self.root)
        if rel.startswith("..") or any(part.startswith(".") for part in rel.split(os.sep)):
            return False
        # A new folder's first files can land before inotify watches it: the folder itself is scanned. A folder
        # moved out takes its files along, maybe without an event each: the receiver looks up what it knew there.
        return is_story_path(rel) or (change == Change.added and os.path.isdir(path)) or change == Change.deleted


async def watch_folder(
    root: Path,
    on_change: OnChange,
    stop_event: asyncio.Event,
    *,
    step_ms: int = 30,
    max_batch_ms: int = 300,
    use_inotify: bool | None = None,
) -> None:
    """Call ``on_change`` with relative paths of changed story files (and of new folders, which the receiver
    scans; ``""`` stands for the whole folder) until ``stop_event`` is set.

    On Linux, inotify hands a file over as soon as its writer closes it or renames it into place; ``step_ms``
    is then only the quiet time for files modified but not closed (see ``bot.stories.inotify_watcher``). Elsewhere, or
    when inotify is unavailable (``use_inotify=False``, no watches left), watchfiles waits for ``step_ms`` of
    quiet before handing over a batch, and ``max_batch_ms`` caps how long a steady stream of writes is grouped.
    A watcher failure is logged and the watch restarted: the periodic rescan covers anything missed in between.
    """
    root = root.resolve()  # noqa: ASYNC240  once per start, a few stat calls on a local folder
    inotify = sys.platform == "linux" if use_inotify is None else use_inotify
    while not stop_event.is_set():
        try:
            if inotify:
                try:
                    await InotifyWatch(root, quiet_ms=step_ms).run(on_change, stop_event)
                except InotifyUnavailable as exc:
                    log.warning("%s; watching %s with watchfiles instead", exc, root)
                    inotify = False
                    # Changes between the failure and the new watch would wait for the periodic rescan.
                    await on_change({""})
                    continue
            else:
                await _watch_with_watchfiles(root, on_change, stop_event, step_ms=step_ms, max_batch_ms=max_batch_ms)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Watching %s failed; restarting the watch in 5 s", root)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=5)


async def _watch_with_watchfiles(
    root: Path, on_change: OnChange, stop_event: asyncio.Event, *, step_ms: int, max_batch_ms: int
) -> None:
    async for changes in awatch(
        root,
        watch_filter=StoryFilter(root),
        debounce=max_batch_ms,
        step=step_ms,
        stop_event=stop_event,
        recursive=True,
    ):
        # relpath of two absolute paths is string arithmetic, no file system call.
        await on_change({os.path.relpath(path, root).replace(os.sep, "/") for _, path in changes})  # noqa: ASYNC240
