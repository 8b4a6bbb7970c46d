"""The store: every SQL statement Newsdesk runs lives in this package, and only this package touches SQLAlchemy
engines and connections. Async code reaches it through ``Store.run`` (the feed's serial thread) or
``Store.run_concurrent`` (short work that must not wait behind a scan); never through threads of its own."""

from bot.store import (
    digest_tables,  # noqa: F401 - registers the tables with the shared metadata
    newsroom_tables,  # noqa: F401 - registers the tables with the shared metadata
    personal_tables,  # noqa: F401 - registers the tables with the shared metadata
    signal_tables,  # noqa: F401 - registers the tables with the shared metadata
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
