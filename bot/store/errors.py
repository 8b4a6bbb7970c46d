"""The store's own exceptions: callers and users see what failed and why, never a raw sqlite3 traceback.

:class:`StorageError` is the failure to open ``storage.url``; once open, a database error crossing the store's
edge (its async seam, its parts' connections) becomes :class:`StoreUnavailable` (locked, gone, unreachable) or
:class:`StoreError` (anything else the driver raised), once, by :func:`wrap_errors`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from bot.redact import mask_password


class StorageError(Exception):
    """The database named by ``storage.url`` could not be used. ``str()`` names the key, the path and the reason."""

    def __init__(self, url: str, path: str, reason: str) -> None:
        self.url = mask_password(url)
        self.path = path
        self.reason = reason
        super().__init__(f"storage.url {self.url!r}: cannot open the database {path}: {reason}")


class StoreError(Exception):
    """A statement failed in the database. ``str()`` is the driver's first line, without the SQL and parameters
    SQLAlchemy appends (a story's text or a webhook token must not reach a log line)."""


class StoreUnavailable(StoreError):
    """The database could not be used just now: locked by another connection past the busy timeout, its file
    gone, or the server unreachable. Work that retries (a send queue, the next rescan) may succeed later."""


def _reason(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).splitlines() or [type(cause).__name__])[0]


@contextlib.contextmanager
def wrap_errors(doing: str = "") -> Iterator[None]:
    """Turn a SQLAlchemy error raised inside into the store's own (reader's ``wrap_exceptions``); an error that
    is already the store's passes through untouched, so nesting wraps once."""
    try:
        yield
    except OperationalError as exc:
        raise StoreUnavailable(_describe(doing, exc)) from exc
    except (DBAPIError, SQLAlchemyError) as exc:
        raise StoreError(_describe(doing, exc)) from exc


def _describe(doing: str, exc: SQLAlchemyError) -> str:
    return f"{doing}: {_reason(exc)}" if doing else _reason(exc)


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
