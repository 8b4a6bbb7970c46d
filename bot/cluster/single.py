"""SQLite keeps the bot to one process: ``run`` holds ``<db>.lock`` (``fcntl.flock``) for its whole life.

The kernel drops a flock when its holder dies, even by SIGKILL, so a crashed bot never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.private_files import private_folder
from bot.redact import mask_password


class AlreadyRunning(Exception):
    """Another ``newsdesk run`` holds this SQLite database."""

    def __init__(self, url: str, lock_path: Path, holder: str) -> None:
        self.url = mask_password(url)
        who = f" (pid {holder})" if holder else ""
        super().__init__(
            f"storage.url {self.url!r}: another newsdesk run is already using this SQLite database{who}; "
            f"SQLite allows one process only (lock file {lock_path}). To run more than one process, use "
            "PostgreSQL: see docs/cluster.md"
        )


class ProcessLock:
    """The open, locked ``<db>.lock`` file; ``release()`` (or process death) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays, harmlessly, for the next run
            self._fd = None


def lock_path_for(database: str) -> Path | None:
    """``<db>.lock`` beside a SQLite file; None for an in-memory database (nothing to share)."""
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + ".lock")


def hold_sqlite(url: str, database: str) -> ProcessLock | None:
    """Take the lock for the SQLite file ``database`` or raise :class:`AlreadyRunning` at once (never waits)."""
    path = lock_path_for(database)
    if path is None:
        return None
    try:
        private_folder(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        # The database itself can't be made there either: opening it says why, naming storage.url.
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        raise AlreadyRunning(url, path, holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return ProcessLock(path, fd)
