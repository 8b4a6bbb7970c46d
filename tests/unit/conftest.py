"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.newsroom import NewsroomStore


@pytest.fixture
def newsroom(tmp_path: Path) -> Iterator[NewsroomStore]:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    yield NewsroomStore(store)
    store.close()
