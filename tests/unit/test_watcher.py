"""The folder watcher: what it hands over, and when (inotify on Linux, watchfiles as the fallback)."""

from __future__ import annotations

import asyncio
import errno
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.stories.watcher import watch_folder
from tests.storyfiles import story_text, write_story

BACKENDS = [pytest.param(True, id="inotify"), pytest.param(False, id="watchfiles")]
if sys.platform != "linux":
    BACKENDS = BACKENDS[1:]
WAIT = 10  # seconds: only a guard against a hang, never a measured bound


class Recorder:
    """Collects each batch, with the content of every file at the moment it was handed over."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.batches: list[set[str]] = []
        self.seen: list[tuple[str, str | None]] = []
        self._arrived = asyncio.Event()

    async def __call__(self, paths: set[str]) -> None:
        self.batches.append(paths)
        for rel in sorted(paths):
            path = self.root / rel
            self.seen.append((rel, path.read_text(encoding="utf-8") if path.is_file() else None))
        self._arrived.set()

    @property
    def paths(self) -> list[str]:
        return [rel for rel, _ in self.seen]

    async def wait_for(self, rel: str, after: int = 0) -> str | None:
        """The content ``rel`` had when it was handed over (None: it was gone), looking at the hand-overs from the
        ``after``-th on."""
        async with asyncio.timeout(WAIT):
            while True:
                for seen_rel, text in self.seen[after:]:
                    if seen_rel == rel:
                        return text
                self._arrived.clear()
                await self._arrived.wait()


@pytest.fixture(params=BACKENDS)
async def watched(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Path, Recorder]]:
    root = tmp_path / "articles"
    root.mkdir()
    recorder = Recorder(root)
    stop = asyncio.Event()
    task = asyncio.create_task(watch_folder(root, recorder, stop, step_ms=30, use_inotify=request.param))
    await asyncio.sleep(0.2)  # let the watch be set up before the test writes
    yield root, recorder
    stop.set()
    async with asyncio.timeout(WAIT):
        await task  # stops by itself, without being cancelled


async def test_finished_file_is_handed_over(watched: tuple[Path, Recorder]) -> None:
    root, recorder = watched
    (root / "plain.md").write_text(story_text(1), encoding="utf-8")
    assert await recorder.wait_for("plain.md") == story_text(1)


async def test_atomic_rename_is_handed_over_under_its_final_name(watched: tuple[Path, Recorder]) -> None:
    root, recorder = watched
    write_story(root, "x.md", 2)
    assert await recorder.wait_for("x.md") == story_text(2)
    assert not [rel for rel in recorder.paths if rel.endswith(".tmp")]


async def test_delete_is_handed_over(watched: tuple[Path, Recorder]) -> None:
    root, recorder = watched
    write_story(root, "gone.md", 3)
    await recorder.wait_for("gone.md")
    recorder.seen.clear()
    (root / "gone.md").unlink()
    assert await recorder.wait_for("gone.md") is None


async def test_hidden_files_and_leftovers_are_ignored(watched: tuple[Path, Recorder]) -> None:
    root, recorder = watched
    (root / ".hidden.md").write_text(story_text(4), encoding="utf-8")
    (root / "draft.md~").write_text(story_text(4), encoding="utf-8")
    (root / "draft.md.swp").write_text(story_text(4), encoding="utf-8")
    (root / "notes.json").write_text("{}", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "inside.md").write_text(story_text(4), encoding="utf-8")
    write_story(root, "last.md", 5)  # written last: once it arrives, the others would have too
    await recorder.wait_for("last.md")
    assert recorder.paths == ["last.md"]


async def test_new_subfolder_with_files_is_seen(watched: tuple[Path, Recorder], tmp_path: Path) -> None:
    root, recorder = watched
    # A folder that arrives with files already inside (moved in whole) has no event per file: it is scanned.
    staging = tmp_path / "staging" / "world"
    write_story(staging, "inside.md", 6)
    os.rename(staging, root / "world")
    await recorder.wait_for("world")
    # A folder made in place gets a watch of its own: its later files arrive one by one.
    (root / "tech").mkdir()
    await recorder.wait_for("tech")
    write_story(root / "tech", "later.md", 7)
    assert await recorder.wait_for("tech/later.md") == story_text(7)


async def test_a_subfolder_moved_out_is_named_at_once_and_its_old_watch_dropped(
    watched: tuple[Path, Recorder], tmp_path: Path
) -> None:
    root, recorder = watched
    (root / "world").mkdir()
    await recorder.wait_for("world")
    write_story(root / "world", "inside.md", 6)
    await recorder.wait_for("world/inside.md")
    # Moved out whole: no event per file, so the folder itself is handed over (the receiver knows its files).
    seen = len(recorder.seen)
    os.rename(root / "world", tmp_path / "gone")
    assert await recorder.wait_for("world", after=seen) is None
    seen = len(recorder.seen)
    write_story(tmp_path / "gone", "after.md", 7)  # outside the tree now: never reported under its old path
    write_story(root, "marker.md", 8)
    await recorder.wait_for("marker.md")
    assert "world/after.md" not in recorder.paths[seen:]


linux_only = pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux only")


@pytest.fixture
async def inotify_watched(tmp_path: Path) -> AsyncIterator[tuple[Path, Recorder]]:
    root = tmp_path / "articles"
    root.mkdir()
    recorder = Recorder(root)
    stop = asyncio.Event()
    task = asyncio.create_task(watch_folder(root, recorder, stop, step_ms=30, use_inotify=True))
    await asyncio.sleep(0.2)
    yield root, recorder
    stop.set()
    async with asyncio.timeout(WAIT):
        await task


@linux_only
async def test_file_written_in_slow_chunks_is_handed_over_once_complete(
    inotify_watched: tuple[Path, Recorder],
) -> None:
    root, recorder = inotify_watched
    text = story_text(8, title="The complete story")
    size = len(text) // 4 + 1
    with open(root / "slow.md", "w", encoding="utf-8") as writer:  # noqa: ASYNC230  held open across awaits on purpose
        for start in range(0, len(text), size):
            writer.write(text[start : start + size])
            writer.flush()
            await asyncio.sleep(0.15)  # many times the 30 ms quiet time: the file stays open meanwhile
            assert "slow.md" not in recorder.paths, "a file still open for writing was handed over"
    assert await recorder.wait_for("slow.md") == text
    write_story(root, "after.md", 9)  # once this arrives, any second hand-over of slow.md would have too
    await recorder.wait_for("after.md")
    assert recorder.paths.count("slow.md") == 1


@linux_only
async def test_burst_of_files_arrives_in_few_batches(inotify_watched: tuple[Path, Recorder]) -> None:
    root, recorder = inotify_watched
    for n in range(300):
        write_story(root, f"burst-{n:03d}.md", n)  # no await in between: all queued before the watcher reads
    await recorder.wait_for("burst-299.md")
    assert len(recorder.batches) <= 3
    assert sorted(recorder.paths) == [f"burst-{n:03d}.md" for n in range(300)]


@linux_only
async def test_writer_that_keeps_the_file_open_is_handed_over_after_going_quiet(tmp_path: Path) -> None:
    from bot.stories.inotify_watcher import InotifyWatch

    recorder, stop = Recorder(tmp_path), asyncio.Event()
    watch = InotifyWatch(tmp_path.resolve(), quiet_ms=30, max_open_quiet_s=0.3)  # noqa: ASYNC240  a local tmp dir
    task = asyncio.create_task(watch.run(recorder, stop))
    await asyncio.sleep(0.2)
    with open(tmp_path / "held.md", "w", encoding="utf-8") as writer:  # noqa: ASYNC230  held open on purpose
        writer.write(story_text(10))
        writer.flush()
        # No close ever comes while we wait: the fallback timer hands the quiet file over anyway.
        assert await recorder.wait_for("held.md") == story_text(10)
    stop.set()
    async with asyncio.timeout(WAIT):
        await task


@linux_only
async def test_permission_change_is_handed_over(inotify_watched: tuple[Path, Recorder]) -> None:
    root, recorder = inotify_watched
    path = write_story(root, "locked.md", 13)
    await recorder.wait_for("locked.md")
    recorder.seen.clear()
    path.chmod(0o600)  # e.g. a file that was unreadable when written becomes readable
    assert await recorder.wait_for("locked.md") == story_text(13)


@linux_only
async def test_queue_overflow_asks_for_the_whole_folder(
    monkeypatch: pytest.MonkeyPatch, inotify_watched: tuple[Path, Recorder]
) -> None:
    from inotify_simple import Event, INotify, flags

    real_read = INotify.read

    def read_with_overflow(self: INotify, timeout: int | None = None) -> list[Event]:
        # What the kernel sends when its event queue (fs.inotify.max_queued_events) ran over.
        return [*real_read(self, timeout), Event(-1, flags.Q_OVERFLOW, 0, "")]

    root, recorder = inotify_watched
    monkeypatch.setattr(INotify, "read", read_with_overflow)
    write_story(root, "lost.md", 11)
    await recorder.wait_for("")  # the receiver re-reads the whole folder


@linux_only
async def test_watch_limit_falls_back_to_watchfiles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from inotify_simple import INotify

    def no_watches_left(self: INotify, path: str, mask: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(INotify, "add_watch", no_watches_left)
    recorder, stop = Recorder(tmp_path), asyncio.Event()
    task = asyncio.create_task(watch_folder(tmp_path, recorder, stop, step_ms=30))
    await recorder.wait_for("")  # what changed before the fallback watch began is re-read
    await asyncio.sleep(0.2)
    write_story(tmp_path, "still.md", 12)
    assert await recorder.wait_for("still.md") == story_text(12)
    assert "inotify watch limit reached" in caplog.text and "max_user_watches" in caplog.text
    stop.set()
    async with asyncio.timeout(WAIT):
        await task


@linux_only
def test_files_open_for_writing_sees_writers_not_readers(tmp_path: Path) -> None:
    from bot.stories.inotify_watcher import files_open_for_writing

    written, read = tmp_path / "written.md", tmp_path / "read.md"
    read.write_text("done", encoding="utf-8")
    with open(written, "w", encoding="utf-8"), open(read, encoding="utf-8"):
        assert files_open_for_writing([str(written), str(read)]) == {str(written)}
    assert files_open_for_writing([str(written)]) == set()


async def test_stop_is_clean(tmp_path: Path) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(watch_folder(tmp_path, Recorder(tmp_path), stop, step_ms=30))
    await asyncio.sleep(0.1)
    stop.set()
    async with asyncio.timeout(WAIT):
        await task
    assert task.done() and task.exception() is None
