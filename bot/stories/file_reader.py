"""Reading one story file into a scan item. Its own light module because the first index runs it in spawned
worker processes: they import this, the parser and the scan records, never the store, SQLAlchemy or Alembic."""

from __future__ import annotations

import hashlib
import json
import os

from bot.stories.parser import StoryError, parse_story_text
from bot.stories.scan_items import FileFailed, FileParsed, FileRemoved, FileState, FileTouched, ScanItem


def read_file(root: str, rel: str, state: FileState | None, max_bytes: int, force: bool) -> ScanItem | None:
    """One file's scan item, or None when nothing changed. Module-level so a process pool can run it."""
    path = os.path.join(root, rel)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return FileRemoved(rel) if state is not None else None
    if state and not force and (state.mtime_ns, state.size) == (st.st_mtime_ns, st.st_size):
        return None
    if st.st_size > max_bytes:
        return _failed(
            rel, st, "", f"file is {st.st_size} bytes, over the {max_bytes}-byte cap (articles.max_file_bytes)"
        )
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return FileRemoved(rel) if state is not None else None
    except OSError as exc:
        return _failed(rel, st, "", f"cannot read: {exc.strerror or exc}")
    sha = hashlib.sha256(raw).hexdigest()
    if state and not force and state.sha256 == sha and state.error is None:
        return FileTouched(rel, st.st_mtime_ns, st.st_size)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _failed(rel, st, sha, f"not UTF-8 text (byte {exc.start})")
    try:
        story = parse_story_text(text, rel)
    except StoryError as exc:
        return _failed(rel, st, sha, str(exc))
    data_json = json.dumps(story.to_dict(), sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(data_json.encode()).hexdigest()
    return FileParsed(rel, st.st_mtime_ns, st.st_size, sha, story, data_json, fingerprint)


def _failed(rel: str, st: os.stat_result, sha: str, error: str) -> FileFailed:
    return FileFailed(rel, st.st_mtime_ns, st.st_size, sha, error if error.startswith(rel) else f"{rel}: {error}")


def read_job(job: tuple[str, str, FileState | None, int, bool]) -> ScanItem | None:
    return read_file(*job)
