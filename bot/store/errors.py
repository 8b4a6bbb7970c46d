"""The store's own exception: callers and users see what failed and why, never a raw sqlite3 traceback."""

from __future__ import annotations

import os
from pathlib import Path

from bot.redact import mask_password


class StorageError(Exception):
    """The database named by ``storage.url`` could not be used. ``str()`` names the key, the path and the reason."""

    def __init__(self, url: str, path: str, reason: str) -> None:
        self.url = mask_password(url)
        self.path = path
        self.reason = reason
        super().__init__(f"storage.url {self.url!r}: cannot open the database {path}: {reason}")


def open_failure(path: str, exc: BaseException) -> str:
    """Why the database could not be opened, in words: sqlite's own "unable to open database file" says too little."""
    if path == ":memory:":
        return str(getattr(exc, "orig", None) or exc).splitlines()[0]
    target = Path(path)
    if target.is_dir():
        return "that is a folder, not a database file"
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            return f"{parent} is a file, not a folder"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename and exc.filename != path else ""
        return f"{where}{exc.strerror or exc}"
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    if target.parent.is_dir() and not os.access(target.parent, os.W_OK):
        return f"{reason} (the folder {target.parent} is not writable)"
    return reason
