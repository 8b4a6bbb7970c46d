"""Fixtures shared by the unit and end-to-end suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import PostgresServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first. pytest-xdist hands tests out in collection order, so a test that waits for a minute
    boundary, started last, would keep one worker busy long after the others finished; started first, it overlaps
    with everything else (longest first is the classic rule for finishing a batch of jobs early)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run (started on first use, ~3 s); each test makes its own
    database with ``postgres.create_database()``."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
