"""Files that hold secrets are born private: the database (webhook tokens in clear), its backups, their folder.

Modes are set with ``chmod`` after creation, so they hold whatever the umask; SQLite gives its ``-wal``,
``-shm`` and ``-journal`` files the main file's mode, so a private database keeps them private too.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Create ``path`` (and any missing parents) if needed; a folder created here is 0700, one that exists is
    left as its owner made it."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir()
    except FileExistsError:
        return  # made meanwhile by another process, or a file in the way (the caller's open says which)
    os.chmod(path, FOLDER_MODE)
    log.info("Created %s (mode 0700)", path)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless something is already there (then it is left alone).

    True when created. Any other failure is left to the caller's own open, which explains it better."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def open_private_file(path: Path) -> None:
    """Truncate or create ``path`` with mode 0600, even if an earlier file there was readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
