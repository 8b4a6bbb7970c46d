"""The store: every SQL statement Newsdesk runs lives in this package."""

from bot.store import (
    digest_tables,  # noqa: F401 - registers the tables with the shared metadata
    newsroom_tables,  # noqa: F401 - registers the tables with the shared metadata
)
from bot.store.records import (
    Delivery,
    DeliveryState,
    FileFailed,
    FileParsed,
    FileRemoved,
    FileState,
    FileTouched,
    ScanItem,
)
from bot.store.store import Store

__all__ = [
    "Delivery",
    "DeliveryState",
    "FileFailed",
    "FileParsed",
    "FileRemoved",
    "FileState",
    "FileTouched",
    "ScanItem",
    "Store",
]
