"""Opening a story file safely: only a regular file, only inside the articles folder, never blocking.

A FIFO opened for reading blocks until a writer appears (it stalled the store's serial thread), a device may act
on open, and a symlink can point anywhere (``leak.txt -> ../outside/memo.txt`` must never be posted). So a path
is resolved first and must stay inside the folder, is stat-ed and must be a regular file, and only then is opened,
with O_NONBLOCK (a FIFO swapped in meanwhile cannot block) and O_NOFOLLOW (nor can a symlink), and checked again
on the open descriptor. Symlinks inside the folder that point inside it work as before.
"""

from __future__ import annotations

import os
import stat

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# Where the kernel tells which file a descriptor opened (Linux): it closes the race of a folder on the way being
# swapped for a symlink between the check and the open.
_PROC_FD = "/proc/self/fd"
OUTSIDE = "a symlink to a file outside the articles folder: not read"
_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISLNK, "symlink"),
)


class Refused(Exception):
    """A path that is not read. ``stat`` describes what stands there, for the record of the rejection."""

    def __init__(self, reason: str, st: os.stat_result) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stat = st


def open_story(real_root: str, rel: str) -> tuple[int, os.stat_result]:
    """A descriptor open for reading on ``rel`` under ``real_root`` (a resolved path), and its fstat.

    FileNotFoundError/NotADirectoryError when nothing is there; :class:`Refused` when something is that must not
    be read; the caller closes the descriptor.
    """
    real = resolve_inside(real_root, rel)
    if real is None:
        raise Refused(OUTSIDE, os.lstat(os.path.join(real_root, rel)))
    before = os.stat(real)
    _require_regular(before)
    try:
        fd = os.open(real, _FLAGS)
    except OSError as exc:
        if exc.errno in (getattr(os, "ELOOP", -1), getattr(os, "ENXIO", -1)):
            raise Refused("replaced by a symlink or special file while being read", before) from None
        raise
    try:
        st = os.fstat(fd)
        _require_regular(st)
        opened = _opened_path(fd)
        if opened is not None and not is_inside(opened, real_root):
            raise Refused(OUTSIDE, st)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def resolve_inside(real_root: str, rel: str) -> str | None:
    """The path ``rel`` names with every symlink on the way resolved, or None when that is outside the folder.

    Only the parts of ``rel`` are looked at (one lstat each): ``real_root`` is already resolved.
    """
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        real = os.path.realpath(os.path.join(real_root, rel))
        return real if is_inside(real, real_root) else None
    current = real_root
    for part in parts:
        candidate = os.path.join(current, part)
        try:
            is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return candidate  # nothing there (yet): the caller's stat says so
        if is_link:
            candidate = os.path.realpath(candidate)
            if not is_inside(candidate, real_root):
                return None
        current = candidate
    return current


def is_inside(path: str, real_root: str) -> bool:
    return path.startswith(real_root.rstrip(os.sep) + os.sep)


def listed_stat(real_root: str, entry: os.DirEntry[str]) -> os.stat_result:
    """The stat a scan records for a listed file: a symlink inside the folder gives its target's (so an edit
    through it is seen), one pointing out gives its own (the target is never touched)."""
    if entry.is_symlink():
        real = os.path.realpath(entry.path)
        return os.stat(real) if is_inside(real, real_root) else entry.stat(follow_symlinks=False)
    return entry.stat()


def kind_of(st: os.stat_result) -> str:
    """A file type's name for a message: 'FIFO', 'socket', 'folder'..."""
    return next((name for test, name in _KINDS if test(st.st_mode)), "special file")


def _require_regular(st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"not a regular file: {kind_of(st)}", st)


def _opened_path(fd: int) -> str | None:
    try:
        return os.readlink(f"{_PROC_FD}/{fd}")
    except OSError:  # no /proc (not Linux, or not mounted): the checks before the open stand alone
        return None
