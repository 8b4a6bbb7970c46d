"""SQLite keeps the bot to one process: the lock file beside the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cluster.single import AlreadyRunning, hold_sqlite, lock_path_for


def test_a_second_holder_is_refused_with_a_message_naming_postgresql(tmp_path: Path) -> None:
    db = str(tmp_path / "data" / "newsdesk.db")
    url = f"sqlite:///{db}"
    first = hold_sqlite(url, db)
    assert first is not None and first.path == tmp_path / "data" / "newsdesk.db.lock"
    # flock is per open file description: a second open in this process conflicts just as another process would.
    with pytest.raises(AlreadyRunning) as caught:
        hold_sqlite(url, db)
    message = str(caught.value)
    assert "PostgreSQL" in message and "storage.url" in message and str(os.getpid()) in message
    first.release()
    again = hold_sqlite(url, db)
    assert again is not None
    again.release()


def test_the_lock_dies_with_its_process_even_by_sigkill(tmp_path: Path) -> None:
    db = str(tmp_path / "newsdesk.db")
    code = (
        "import os, sys, signal; from bot.cluster.single import hold_sqlite; "
        f"hold_sqlite('sqlite:///x', {db!r}); print('held', flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "held" in done.stdout
    lock = hold_sqlite(f"sqlite:///{db}", db)
    assert lock is not None
    lock.release()


def test_an_in_memory_database_needs_no_lock() -> None:
    assert lock_path_for(":memory:") is None
    assert hold_sqlite("sqlite://", "") is None
