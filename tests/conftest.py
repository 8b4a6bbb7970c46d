"""Fixtures shared by the unit and end-to-end suites."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pgserver import PostgresServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Deal the tests out to the parallel workers like cards, the long ones (marked ``slow``) first.

    ``--dist worksteal`` (the Makefile's) hands each worker an equal run of consecutive tests, then lets an idle
    worker steal from the end of a busy one's run. In collection order the first run would hold every end-to-end
    test (mostly waiting) and the others only unit tests (all CPU); dealt, each run holds its share of both, and
    starts with a long test, which then overlaps with everything else instead of keeping one worker busy after
    the others finished. Without xdist (one worker) this only moves the long tests to the front."""
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    ordered = sorted(items, key=lambda item: item.get_closest_marker("slow") is None)  # stable
    items[:] = [item for worker in range(workers) for item in ordered[worker::workers]]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run (started on first use, ~3 s); each test makes its own
    database with ``postgres.create_database()``."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
