"""Filesystem events for the articles folder, batched (watchfiles / inotify)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from bot.parser import is_story_path

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
        # A new folder's first files can land before inotify watches it: the folder itself is scanned.
        return is_story_path(rel) or (change == Change.added and os.path.isdir(path))


async def watch_folder(
    root: Path,
    on_change: OnChange,
    stop_event: asyncio.Event,
    *,
    step_ms: int = 30,
    max_batch_ms: int = 300,
) -> None:
    """Call ``on_change`` with relative paths of changed story files (and of new folders, which the receiver
    scans) until ``stop_event`` is set.

    ``step_ms`` is how long the folder must be quiet before a batch is handed over (the debounce);
    ``max_batch_ms`` caps how long a steady stream of writes is grouped. A watcher failure is logged and the
    watch restarted: the periodic rescan covers anything missed in between.
    """
    root = root.resolve()
    watch_filter = StoryFilter(root)
    while not stop_event.is_set():
        try:
            async for changes in awatch(
                root,
                watch_filter=watch_filter,
                debounce=max_batch_ms,
                step=step_ms,
                stop_event=stop_event,
                recursive=True,
                raise_interrupt=False,
            ):
                paths = {os.path.relpath(path, root).replace(os.sep, "/") for _, path in changes}
                await on_change(paths)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Watching %s failed; restarting the watch in 5 s", root)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=5)
