"""A flicker is not a retraction: removals wait out ``articles.delete_grace``; folders moved out or in are seen at
once; a rename seen as a removal, then a new file, keeps its story. Real folder, real SQLite store, a test clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.routes.planning import OnUnpublish
from bot.store import Store
from bot.stories.scanner import Scanner
from tests.storyfiles import write_story

GRACE = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scanner(folder: Path, store: Store, clock: Clock) -> Scanner:
    return Scanner(
        folder,
        store,
        max_bytes=10_000,
        channels_for=lambda s: [7],
        on_unpublish=OnUnpublish.DELETE,
        delete_grace=GRACE,
        clock=clock,
    )


def rows(store: Store) -> list[tuple[str, bool, str | None]]:
    """(key, present, delivery state) per story."""
    with store.engine.connect() as conn:
        found = conn.execute(
            text("SELECT s.key, s.present, d.state FROM stories s LEFT JOIN deliveries d ON d.story_id = s.id")
        ).all()
    return sorted((r[0], bool(r[1]), r[2]) for r in found)


def test_a_removal_waits_out_the_grace_and_then_retracts(folder: Path, store: Store, scanner: Scanner, clock: Clock):
    write_story(folder, "a.md", 1)
    scanner.process_paths(["a.md"])
    (folder / "a.md").unlink()
    held = scanner.process_paths(["a.md"])
    assert (held.removed, held.pending) == (0, [])
    assert scanner.removals_due() == [] and scanner.next_removal_in() == GRACE
    clock.now += GRACE
    assert scanner.removals_due() == ["a.md"]
    done = scanner.process_paths(scanner.removals_due())
    assert done.removed == 1 and done.pending == [(1, 7)]
    assert rows(store) == [("https://news.example/2026/story-1", False, "delete")]
    assert scanner.next_removal_in() is None


def test_a_file_back_within_the_grace_is_a_no_op_and_a_changed_one_an_edit(
    folder: Path, store: Store, scanner: Scanner, clock: Clock
) -> None:
    write_story(folder, "a.md", 1)
    write_story(folder, "b.md", 2)
    scanner.process_paths(["a.md", "b.md"])
    for name in ("a.md", "b.md"):
        (folder / name).unlink()
    scanner.process_paths(["a.md", "b.md"])
    clock.now += 0.3  # git checkout other && git checkout -
    write_story(folder, "a.md", 1)
    write_story(folder, "b.md", 2, title="Story two, changed")
    back = scanner.process_paths(["a.md", "b.md"])
    assert back.removed == 0 and back.pending == [(2, 7)]
    clock.now += GRACE
    assert scanner.removals_due() == []
    assert rows(store) == [
        ("https://news.example/2026/story-1", True, "post"),
        ("https://news.example/2026/story-2", True, "post"),  # the edit of a post not yet sent: still a post
    ]


def test_the_rescan_holds_removals_too_and_sees_files_come_back(
    folder: Path, store: Store, scanner: Scanner, clock: Clock
) -> None:
    write_story(folder, "a.md", 1)
    scanner.reconcile(announce=True)
    moved = folder.parent / "elsewhere.md"
    (folder / "a.md").rename(moved)
    result, _ = scanner.reconcile(announce=True)
    assert result.removed == 0 and scanner.next_removal_in() == GRACE
    moved.rename(folder / "a.md")
    scanner.reconcile(announce=True)
    assert scanner.next_removal_in() is None
    assert rows(store) == [("https://news.example/2026/story-1", True, "post")]


def test_a_rename_seen_as_removal_then_new_file_keeps_its_story(
    folder: Path, store: Store, scanner: Scanner, clock: Clock
) -> None:
    write_story(folder, "a.md", 1, webUrl=None)
    scanner.process_paths(["a.md"])
    (folder / "a.md").rename(folder / "b.md")
    scanner.process_paths(["a.md"])  # the removal first, in a batch of its own
    clock.now += 1
    result = scanner.process_paths(["b.md"])
    assert result.removed == 1 and result.pending in ([], [(1, 7)])  # at most the one row, to bring it up to date
    assert rows(store) == [("file:b.md", True, "post")]  # the same story (and ledger row), under its new path
    assert scanner.next_removal_in() is None


def test_a_folder_moved_out_is_a_batch_of_removals_and_moved_back_in_a_no_op(
    folder: Path, store: Store, scanner: Scanner, clock: Clock
) -> None:
    write_story(folder, "sub/deeper/a.md", 1)
    write_story(folder, "sub/b.md", 2)
    write_story(folder, "c.md", 3)
    scanner.reconcile(announce=True)
    outside = folder.parent / "sub"
    shutil.move(folder / "sub", outside)
    scanner.process_paths(["sub"])  # the watcher names the folder only
    assert sorted(scanner._gone) == ["sub/b.md", "sub/deeper/a.md"]
    clock.now += GRACE
    result = scanner.process_paths(scanner.removals_due())
    assert result.removed == 2
    shutil.move(outside, folder / "sub")
    result = scanner.process_paths(["sub"])
    assert result.parsed == 2
    assert [present for _, present, _ in rows(store)] == [True, True, True]
