"""Fixtures shared by the unit tests. ``store_url``/``store`` run a test on both backends: a SQLite file under
``tmp_path`` and a fresh database on the session's real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from bot.store import Store
from bot.store.newsroom import NewsroomStore
from tests.pgserver import PostgresServer, PostgresUnavailable

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_template(request: pytest.FixtureRequest) -> tuple[PostgresServer, str]:
    """A migrated database to copy: CREATE DATABASE ... TEMPLATE is much faster than migrating per test."""
    try:
        server: PostgresServer = request.getfixturevalue("postgres")
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here: {exc}")
    name = "newsdesk_template"
    Store.open(server.create_database(name)).close()
    return server, name


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'test.db'}"
    server, template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = f"host=127.0.0.1 port={server.port} user={server.user} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return server.url(name)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on SQLite only: for tests of the folder side (scanner, reader), whose SQL the store tests cover."""
    s = Store.open(f"sqlite:///{tmp_path / 'scan.db'}")
    yield s
    s.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty articles folder."""
    path = tmp_path / "articles"
    path.mkdir()
    return path


@pytest.fixture
def newsroom(store: Store) -> Iterator[NewsroomStore]:
    yield store.newsroom


@pytest.fixture
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements the store sends while the test runs, in order."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    yield seen
    event.remove(store.engine, "before_cursor_execute", record)
