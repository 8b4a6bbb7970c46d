"""The database, its -wal/-shm files, the lock file and backups are born 0600, a folder the bot makes 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.cluster.single import hold_sqlite
from bot.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which plain creation gives -rw-r--r--: the modes below must not come from it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_database_its_wal_and_shm_and_its_folder_are_private(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsdesk.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        store.set_meta("probe", "x")  # a write, so the WAL and its index exist while the store is open
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.is_file() and shm.is_file()
        assert {p.name: mode(p) for p in (db, wal, shm)} == {p.name: 0o600 for p in (db, wal, shm)}
    finally:
        store.close()
    assert mode(db.parent) == 0o700


def test_an_existing_folder_and_database_keep_the_modes_their_owner_gave(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)
    Store.open(f"sqlite:///{folder / 'a.db'}").close()
    assert mode(folder) == 0o750
    assert mode(folder / "a.db") == 0o600
    os.chmod(folder / "a.db", 0o640)  # the operator's choice, e.g. for a backup group
    Store.open(f"sqlite:///{folder / 'a.db'}").close()
    assert mode(folder / "a.db") == 0o640


def test_the_run_lock_file_is_private(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsdesk.db"
    lock = hold_sqlite(f"sqlite:///{db}", str(db))
    assert lock is not None
    try:
        assert mode(lock.path) == 0o600
        assert mode(db.parent) == 0o700  # run takes the lock before the store opens, so it may make the folder
    finally:
        lock.release()


def test_backups_are_private_even_over_a_readable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "newsdesk.db"
    Store.open(f"sqlite:///{db}").close()
    config = tmp_path / "newsdesk.yaml"
    config.write_text(f"storage:\n  url: sqlite:///{db}\n", encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    target = tmp_path / "backup.db"
    assert main(["--config", str(config), "backup", str(target)]) == 0
    assert mode(target) == 0o600
    target.write_bytes(b"")
    os.chmod(target, 0o644)
    assert main(["--config", str(config), "backup", str(target), "--force"]) == 0
    assert mode(target) == 0o600
    assert target.stat().st_size > 0
