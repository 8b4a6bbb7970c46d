"""Fixtures shared by the unit and end-to-end suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import PostgresServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run (started on first use, ~3 s); each test makes its own
    database with ``postgres.create_database()``."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
