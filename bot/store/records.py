"""Plain records passed in and out of the store."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.story import Story


@dataclass(frozen=True, slots=True)
class FileState:
    mtime_ns: int
    size: int
    sha256: str
    story_key: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class FileParsed:
    """A file whose content changed and parsed into a story."""

    path: str
    mtime_ns: int
    size: int
    sha256: str
    story: Story
    data_json: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class FileFailed:
    """A file that could not be parsed. The story it defined before (if any) stays as it was."""

    path: str
    mtime_ns: int
    size: int
    sha256: str
    error: str


@dataclass(frozen=True, slots=True)
class FileTouched:
    """Same content as before, new mtime: only the stat is recorded."""

    path: str
    mtime_ns: int
    size: int


@dataclass(frozen=True, slots=True)
class FileRemoved:
    path: str


ScanItem = FileParsed | FileFailed | FileTouched | FileRemoved


@dataclass(frozen=True, slots=True)
class Delivery:
    """A ledger row joined with its story: everything a send worker needs to act on it."""

    story_id: int
    channel_id: int
    state: DeliveryState
    message_id: int | None
    payload_hash: str | None
    generation: int
    version: int
    attempts: int
    story: Story
    thread_id: int | None = None
    webhook_id: int | None = None


class DeliveryState(StrEnum):
    """A ledger row's next action (post, edit, delete) or its settled outcome. Stored as these strings."""

    POST = "post"
    EDIT = "edit"
    DELETE = "delete"
    SENT = "sent"
    DELETED = "deleted"
    FAILED = "failed"
    CANCELLED = "cancelled"
    GONE = "gone"
    CAPPED = "capped"  # over its route's daily cap: never posted, counted in status


@dataclass(frozen=True, slots=True)
class HeldStory:
    """A published story dated in the future whose posts wait in the ledger until ``release_at``."""

    story_id: int
    title: str
    release_at: float
    channels: tuple[int, ...]
