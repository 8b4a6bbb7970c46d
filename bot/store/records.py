"""Plain records passed in and out of the store."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.stories.scan_items import FileFailed, FileParsed, FileRemoved, FileState, FileTouched, ScanItem
from bot.stories.story import Story

__all__ = ["FileFailed", "FileParsed", "FileRemoved", "FileState", "FileTouched", "ScanItem"]


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
    changed_at: float | None = None  # the story file's mtime (epoch seconds), for the file→post latency metric


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
