"""The store: every SQL statement Newsdesk runs lives in this package."""

from bot.store import (
    admin_tables,  # noqa: F401 - registers the tables with the shared metadata
    digest_tables,  # noqa: F401 - registers the tables with the shared metadata
)
from bot.store.records import (
    Delivery,
    FileFailed,
    FileParsed,
    FileRemoved,
    FileState,
    FileTouched,
    ScanItem,
    StoryRow,
)
from bot.store.store import Store

__all__ = [
    "Delivery",
    "FileFailed",
    "FileParsed",
    "FileRemoved",
    "FileState",
    "FileTouched",
    "ScanItem",
    "Store",
    "StoryRow",
]
