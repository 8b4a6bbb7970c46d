"""Reading one story file into a scan item. Its own light module because the first index runs it in spawned
worker processes: they import this, the parser and the scan records, never the store, SQLAlchemy or Alembic.

Only regular files inside the articles folder are read. Whatever a file holds, reading it ends in a scan item:
a surprise in one file (a bug of ours, a value a library chokes on) rejects that file, never the scan."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import lru_cache

from bot.stories.parser import StoryError, parse_story_text
from bot.stories.safe_open import Refused, open_story
from bot.stories.scan_items import FileFailed, FileParsed, FileRemoved, FileState, FileTouched, ScanItem

log = logging.getLogger(__name__)


def read_file(root: str, rel: str, state: FileState | None, max_bytes: int, force: bool) -> ScanItem | None:
    """One file's scan item, or None when nothing changed. Module-level so a process pool can run it."""
    try:
        fd, st = open_story(_real(root), rel)
    except (FileNotFoundError, NotADirectoryError):
        return FileRemoved(rel) if state is not None else None
    except Refused as refused:
        return _failed(rel, refused.stat, "", refused.reason)
    except OSError as exc:
        return FileFailed(rel, 0, 0, "", f"{rel}: cannot read: {exc.strerror or exc}")
    with os.fdopen(fd, "rb") as handle:
        if state and not force and (state.mtime_ns, state.size) == (st.st_mtime_ns, st.st_size):
            return None
        if st.st_size > max_bytes:
            return _failed(
                rel, st, "", f"file is {st.st_size} bytes, over the {max_bytes}-byte cap (articles.max_file_bytes)"
            )
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as exc:
            return _failed(rel, st, "", f"cannot read: {exc.strerror or exc}")
    sha = hashlib.sha256(raw).hexdigest()
    if state and not force and state.sha256 == sha and state.error is None:
        return FileTouched(rel, st.st_mtime_ns, st.st_size)
    try:
        item = _parsed(rel, st, sha, raw)
    except StoryError as exc:
        return _failed(rel, st, sha, str(exc))
    except Exception as exc:  # the per-file guard: no surprise in one file stops the others
        log.debug("Unexpected error parsing %s", rel, exc_info=True)
        return _failed(rel, st, sha, unexpected_reason(exc))
    if (
        isinstance(item, FileParsed)
        and state is not None
        and not force
        and state.error is None
        and state.fingerprint == item.fingerprint
    ):
        # The same data in another layout (a nightly regeneration): nothing to store but the file's new bytes, and
        # no story to send back to the indexing process.
        return FileTouched(rel, st.st_mtime_ns, st.st_size, sha)
    return item


def _parsed(rel: str, st: os.stat_result, sha: str, raw: bytes) -> FileParsed | FileFailed:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _failed(rel, st, sha, f"not UTF-8 text (byte {exc.start})")
    story = parse_story_text(text, rel)
    data_json = json.dumps(story.to_dict(), sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(data_json.encode()).hexdigest()
    return FileParsed(rel, st.st_mtime_ns, st.st_size, sha, story, data_json, fingerprint)


def unexpected_reason(exc: BaseException) -> str:
    """One line for an exception nobody foresaw while parsing a file."""
    detail = " ".join(str(exc).split())[:200]
    return f"cannot be parsed: unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")


def _failed(rel: str, st: os.stat_result, sha: str, error: str) -> FileFailed:
    return FileFailed(rel, st.st_mtime_ns, st.st_size, sha, error if error.startswith(rel) else f"{rel}: {error}")


@lru_cache(maxsize=8)
def _real(root: str) -> str:
    return os.path.realpath(root)


def read_job(job: tuple[str, str, FileState | None, int, bool]) -> ScanItem | None:
    return read_file(*job)
