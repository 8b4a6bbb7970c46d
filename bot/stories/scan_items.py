"""What a scan of the story folder reports for each file: plain records, light enough for the parse workers
(spawned processes import this, the parser and nothing of the store)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.stories.story import Story


@dataclass(frozen=True, slots=True)
class FileState:
    mtime_ns: int
    size: int
    sha256: str
    story_key: str | None
    error: str | None
    fingerprint: str | None = None  # the stored story's, when this file is the one that defines it


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
    """Same content as before, new mtime: only the stat is recorded. ``sha256``: new bytes that parse to the story as
    stored (the same data in another layout), recorded too."""

    path: str
    mtime_ns: int
    size: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class FileRemoved:
    path: str


ScanItem = FileParsed | FileFailed | FileTouched | FileRemoved
