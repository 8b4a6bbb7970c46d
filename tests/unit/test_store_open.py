"""Store.open maps every failure at open into one StorageError naming storage.url, the path and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store
from bot.store.errors import StorageError


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    url = f"sqlite:///{tmp_path / 'plain' / 'n.db'}"
    with pytest.raises(StorageError) as info:
        Store.open(url)
    assert str(info.value).startswith(f"storage.url {url!r}: cannot open the database {tmp_path / 'plain' / 'n.db'}")
    assert info.value.reason == f"{tmp_path / 'plain'} is a file, not a folder"


def test_folder_where_the_file_should_be(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        Store.open(f"sqlite:///{tmp_path}")
    assert info.value.path == str(tmp_path)
    assert info.value.reason == "that is a folder, not a database file"


def test_path_under_proc() -> None:
    with pytest.raises(StorageError) as info:
        Store.open("sqlite:////proc/newsdesk-test/n.db")
    assert "/proc/newsdesk-test" in info.value.reason


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError) as info:
        Store.open(f"sqlite:///{path}")
    assert "not a database" in info.value.reason
    assert info.value.__cause__ is not None  # the original error stays chained for --debug


@pytest.mark.parametrize("url", ["postgresql://db.example/newsdesk", "nonsense://"])
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(StorageError) as info:
        Store.open(url)
    assert "storage.url" in str(info.value)


def test_a_good_path_still_opens(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'new' / 'n.db'}")
    store.close()
    assert (tmp_path / "new" / "n.db").is_file()
