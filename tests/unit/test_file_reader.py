"""read_file and the scan on hostile folders: every bad file is one rejection with its name, special files and
symlinks out of the folder are never read, and the good files beside them are stories (issues 17.6, 20.4)."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.routes.planning import OnUnpublish
from bot.store import FileFailed, FileParsed, FileRemoved, Store
from bot.stories.file_reader import read_file
from bot.stories.scanner import Scanner
from tests.badfiles import BAD_FILES, write_bad_files, write_good_files, yaml_trips_on
from tests.storyfiles import story_text, write_story

MAX = 100_000


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def scanner(folder: Path, store: Store) -> Scanner:
    return Scanner(folder, store, max_bytes=MAX, channels_for=lambda s: [7], on_unpublish=OnUnpublish.DELETE)


def read(folder: Path, rel: str) -> FileFailed | FileParsed:
    item = read_file(str(folder), rel, None, MAX, False)
    assert isinstance(item, FileFailed | FileParsed)
    return item


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_is_one_rejection_naming_the_file_and_the_reason(folder: Path, name: str) -> None:
    write_bad_files(folder)
    item = read(folder, name)
    assert isinstance(item, FileFailed)
    assert item.error.startswith(f"{name}: ")
    assert BAD_FILES[name][1] in item.error
    assert "\n" not in item.error and len(item.error) < 400


def test_a_scan_of_a_folder_of_bad_files_rejects_each_and_indexes_the_good_ones(
    folder: Path, scanner: Scanner, store: Store
) -> None:
    write_bad_files(folder)
    titles = write_good_files(folder)
    result, report = scanner.reconcile(announce=True)
    assert report.failed == len(BAD_FILES)
    assert sorted(path for path, _ in result.rejected) == sorted(BAD_FILES)
    assert report.parsed == len(titles)
    assert len(result.pending) == len(titles)
    with store.engine.connect() as conn:
        stored = {row[0] for row in conn.execute(text("SELECT title FROM stories WHERE published"))}
    assert stored == set(titles)


def test_an_impossible_date_in_a_text_field_is_just_text(folder: Path) -> None:
    write_good_files(folder)
    title = read(folder, "title_date.md")
    category = read(folder, "category_date.md")
    assert isinstance(title, FileParsed) and title.story.title == "2026-13-01"
    assert isinstance(category, FileParsed) and category.story.category == "2026-02-30"


def test_an_unforeseen_exception_while_parsing_rejects_only_that_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    yaml_trips_on("surprise", monkeypatch)
    (folder / "odd.md").write_text("---\ntitle: surprise\n---\n", encoding="utf-8")
    write_story(folder, "fine.md", 1)
    with caplog.at_level(logging.DEBUG, logger="bot.stories.file_reader"):
        odd = read(folder, "odd.md")
    assert isinstance(odd, FileFailed)
    assert odd.error == "odd.md: cannot be parsed: unexpected KeyError: 'the library tripped'"
    assert [r.getMessage() for r in caplog.records] == ["Unexpected error parsing odd.md"]
    assert isinstance(read(folder, "fine.md"), FileParsed)


# --- special files and symlinks ------------------------------------------------------------------------------


@pytest.mark.timeout(20)  # a FIFO opened without O_NONBLOCK would hang here instead of failing
def test_a_fifo_is_refused_without_blocking(folder: Path, scanner: Scanner) -> None:
    os.mkfifo(folder / "stuck.txt")
    item = read(folder, "stuck.txt")
    assert isinstance(item, FileFailed) and item.error == "stuck.txt: not a regular file: FIFO"
    write_story(folder, "after.md", 1)
    result, _ = scanner.reconcile(announce=True)
    assert result.rejected == [("stuck.txt", "stuck.txt: not a regular file: FIFO")]
    assert len(result.pending) == 1


def test_a_socket_is_refused(folder: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "sock.md"))
        item = read(folder, "sock.md")
    assert isinstance(item, FileFailed) and item.error == "sock.md: not a regular file: socket"


def test_a_folder_named_like_a_story_is_refused_and_its_stories_are_read(folder: Path, scanner: Scanner) -> None:
    write_story(folder, "x.md/inner.md", 1)
    item = read(folder, "x.md")
    assert isinstance(item, FileFailed) and item.error == "x.md: not a regular file: folder"
    _, report = scanner.reconcile(announce=True)
    assert (report.files, report.parsed, report.failed) == (1, 1, 0)


def test_a_symlink_out_of_the_folder_is_never_read_nor_posted(tmp_path: Path, folder: Path, scanner: Scanner) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "memo.txt").write_text(story_text(1, title="Secret memo"), encoding="utf-8")
    (folder / "leak.txt").symlink_to("../outside/memo.txt")
    (folder / "abs.md").symlink_to(outside / "memo.txt")
    (folder / "dir").symlink_to(outside, target_is_directory=True)
    for rel in ("leak.txt", "abs.md", "dir/memo.txt"):
        item = read(folder, rel)
        assert isinstance(item, FileFailed), rel
        assert item.error == f"{rel}: a symlink to a file outside the articles folder: not read"
    result, report = scanner.reconcile(announce=True)
    assert result.pending == [] and report.parsed == 0
    assert sorted(path for path, _ in result.rejected) == ["abs.md", "leak.txt"]  # dir/ is not walked into
    # The target's own changes do not reach the scan: it records the link, never what it points at.
    (outside / "memo.txt").write_text(story_text(1, title="Secret memo, edited") + "x" * 100, encoding="utf-8")
    again, report = scanner.reconcile(announce=True)
    assert (report.changed, again.pending) == (0, [])


def test_symlinks_inside_the_folder_still_work(folder: Path, scanner: Scanner) -> None:
    write_story(folder, "sub/real.md", 1)
    (folder / "alias.md").symlink_to("sub/real.md")
    (folder / "linked").symlink_to(folder / "sub", target_is_directory=True)
    assert isinstance(read(folder, "alias.md"), FileParsed)
    assert isinstance(read(folder, "linked/real.md"), FileParsed)
    _, report = scanner.reconcile(announce=True)
    assert (report.files, report.parsed, report.failed) == (2, 2, 0)
    # An edit through the target is seen by the rescan at the link's path too.
    write_story(folder, "sub/real.md", 1, title="Edited")
    _, report = scanner.reconcile(announce=True)
    assert report.changed == 2


def test_a_dangling_symlink_is_no_file(folder: Path, scanner: Scanner) -> None:
    (folder / "gone.md").symlink_to("nowhere.md")
    assert read_file(str(folder), "gone.md", None, MAX, False) is None
    _, report = scanner.reconcile(announce=True)
    assert report.files == 0


def test_a_story_that_becomes_a_fifo_is_refused_and_its_story_kept(folder: Path, scanner: Scanner) -> None:
    write_story(folder, "a.md", 1)
    scanner.reconcile(announce=True)
    (folder / "a.md").unlink()
    os.mkfifo(folder / "a.md")
    result, _ = scanner.reconcile(announce=True)
    assert result.rejected == [("a.md", "a.md: not a regular file: FIFO")]
    assert not isinstance(read_file(str(folder), "a.md", None, MAX, False), FileRemoved)


def test_a_watch_event_on_a_symlinked_folder_never_lists_what_is_outside(
    tmp_path: Path, folder: Path, scanner: Scanner
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "memo.md").write_text(story_text(1, title="Secret memo"), encoding="utf-8")
    (folder / "ext.md").symlink_to(outside, target_is_directory=True)
    result = scanner.process_paths(["ext.md"])
    assert result.pending == []
    assert result.rejected == [("ext.md", "ext.md: a symlink to a file outside the articles folder: not read")]
