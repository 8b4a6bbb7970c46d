"""The scanner on a real folder and a real SQLite store: reconcile, single paths, renames, duplicates, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.routes.planning import OnUnpublish
from bot.store import Store
from bot.stories.scanner import Scanner
from tests.storyfiles import story_text, write_story

CHANNELS = [7]
KEY = "https://news.example/2026/story-1"


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def scanner(folder: Path, store: Store) -> Scanner:
    return Scanner(folder, store, max_bytes=10_000, channels_for=lambda s: CHANNELS, on_unpublish=OnUnpublish.DELETE)


def story_row(store: Store, key: str = KEY) -> tuple[str, bool, str] | None:
    """(path, present, title) of the stored story."""
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT path, present, title FROM stories WHERE key = :k"), {"k": key}).first()
    return (row[0], bool(row[1]), row[2]) if row else None


def states(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT state FROM deliveries ORDER BY story_id"))]


def test_reconcile_indexes_new_files_and_a_rescan_without_changes_does_nothing(
    folder: Path, store: Store, scanner: Scanner
) -> None:
    write_story(folder, "a.md", 1)
    write_story(folder, "sub/b.md", 2, published=False)
    (folder / ".hidden.md").write_text(story_text(3), encoding="utf-8")
    result, report = scanner.reconcile(announce=True)
    assert (report.files, report.parsed, report.failed, report.removed) == (2, 2, 0, 0)
    assert result.pending == [(1, 7)]  # only the published story is posted
    again, report = scanner.reconcile(announce=True)
    assert report.changed == 0 and again.pending == [] and again.parsed == 0


def test_the_first_runs_baseline_indexes_silently(folder: Path, store: Store, scanner: Scanner) -> None:
    write_story(folder, "a.md", 1)
    result, _ = scanner.reconcile(announce=False)
    assert result.pending == [] and story_row(store) == ("a.md", True, "Story number 1")


def test_reconcile_notices_a_deleted_file(folder: Path, store: Store, scanner: Scanner) -> None:
    write_story(folder, "a.md", 1)
    scanner.reconcile(announce=True)
    (folder / "a.md").unlink()
    result, report = scanner.reconcile(announce=True)
    assert report.removed == 1 and result.pending == [(1, 7)]
    assert states(store) == ["delete"] and story_row(store) == ("a.md", False, "Story number 1")


def test_process_paths_reads_only_what_it_is_given_and_expands_folders(
    folder: Path, store: Store, scanner: Scanner
) -> None:
    write_story(folder, "a.md", 1)
    write_story(folder, "news/b.md", 2)
    write_story(folder, "news/c.md", 3)
    assert scanner.process_paths(["a.md"]).parsed == 1
    assert scanner.process_paths(["news"]).parsed == 2
    assert scanner.process_paths(["a.md", "news"]).parsed == 0  # unchanged: nothing read again
    assert scanner.process_paths(["missing.md"]).removed == 0  # never known, never there


def test_a_rename_keeps_the_story_and_posts_nothing_new(folder: Path, store: Store, scanner: Scanner) -> None:
    write_story(folder, "a.md", 1)
    scanner.process_paths(["a.md"])
    (folder / "a.md").rename(folder / "renamed.md")
    result = scanner.process_paths(["renamed.md", "a.md"])
    assert result.pending == [] and result.removed == 1
    assert story_row(store) == ("renamed.md", True, "Story number 1")
    assert states(store) == ["post"]


def test_two_files_one_story_post_once_and_removing_one_falls_back_to_the_other(
    folder: Path, store: Store, scanner: Scanner
) -> None:
    write_story(folder, "a.md", 1, title="From a")
    write_story(folder, "b.md", 1, title="From b")
    result, _ = scanner.reconcile(announce=True)
    assert result.pending == [(1, 7)]  # one story (same webUrl), one post
    (folder / "b.md").unlink()
    result, _ = scanner.reconcile(announce=True)
    # The remaining file is parsed again and defines the story: an edit, not a deletion.
    assert story_row(store) == ("a.md", True, "From a")
    assert "delete" not in states(store)


def test_a_file_that_breaks_keeps_its_story_and_is_reported(folder: Path, store: Store, scanner: Scanner) -> None:
    write_story(folder, "a.md", 1)
    scanner.reconcile(announce=True)
    (folder / "a.md").write_text("---\ntitle: [unclosed\n", encoding="utf-8")
    result, report = scanner.reconcile(announce=True)
    assert report.failed == 1 and result.pending == []
    assert [path for path, _ in result.rejected] == ["a.md"]
    assert story_row(store) == ("a.md", True, "Story number 1")
    write_story(folder, "a.md", 1, title="Fixed")  # fixed: picked up again, and the post edited
    result, _ = scanner.reconcile(announce=True)
    assert story_row(store) == ("a.md", True, "Fixed") and result.pending == [(1, 7)]


def test_a_file_over_the_size_cap_is_rejected_with_the_option_named(folder: Path, scanner: Scanner) -> None:
    (folder / "big.md").write_text(story_text(1) + "x" * 20_000, encoding="utf-8")
    result, _ = scanner.reconcile(announce=True)
    assert "articles.max_file_bytes" in result.rejected[0][1]
