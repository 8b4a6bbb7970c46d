"""Recent full-text windows, kept while the index is unchanged.

The /news buttons ask for page 2, 3, ... of the same query, and each page is cut from the same ranking window of
the newest matches. Reading that window again costs what the first page did: up to ~20 ms at a million stories
for words that seldom meet (the index walks far down their posting lists). So a window is kept, keyed by what
the index was asked, until any story is added, changed or removed: ``max(stories.updated_at)``, one entry of
``ix_stories_updated``, moves with every such write. Only the index's answer is kept; whether each story is
still published (and released) is checked again on every page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol

from sqlalchemy import Connection, text

from bot.search.backend import Rows


class Windows(Protocol):
    def rows(self, conn: Connection, key: Hashable, read: Callable[[], Rows]) -> Rows: ...


def index_version(conn: Connection) -> Any:
    """Changes whenever a story is added, changed or removed (each write sets its ``updated_at`` to now)."""
    return conn.execute(text("SELECT max(updated_at) FROM stories")).scalar()


class WindowCache:
    """(what was asked of the full-text index) -> its rows, for the current index version; thread-safe, bounded."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._rows: OrderedDict[Hashable, Rows] = OrderedDict()
        self._version: Any = None
        self._lock = threading.Lock()

    def rows(self, conn: Connection, key: Hashable, read: Callable[[], Rows]) -> Rows:
        """The kept rows for ``key``, or ``read()``'s (then kept) if the index changed since or it is not kept."""
        return self.rows_at(index_version(conn), key, read)

    def rows_at(self, version: Any, key: Hashable, read: Callable[[], Rows]) -> Rows:
        """``rows`` with the index version already read (before ``read`` runs, so the rows are no older)."""
        with self._lock:
            if version != self._version:
                self._rows.clear()
                self._version = version
            kept = self._rows.get(key)
            if kept is not None:
                self._rows.move_to_end(key)
                return kept
        found = read()
        with self._lock:
            if version == self._version:
                self._rows[key] = found
                while len(self._rows) > self._size:
                    self._rows.popitem(last=False)
        return found


class PinnedWindows:
    """One search's view of a ``WindowCache``: the index version is read once, at the search's first window (a
    search asks for two when its exact words find nothing), not before each."""

    def __init__(self, cache: WindowCache) -> None:
        self.cache = cache
        self._pinned: Any = None
        self._read = False

    def rows(self, conn: Connection, key: Hashable, read: Callable[[], Rows]) -> Rows:
        if not self._read:
            self._pinned, self._read = index_version(conn), True
        return self.cache.rows_at(self._pinned, key, read)
