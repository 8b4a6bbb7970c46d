"""Roles held through PostgreSQL advisory locks: one holder at a time; the holder's death frees the role."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.cluster.locks import INGEST_SPACE, SHARD_SPACE, Role, RoleLocks, libpq_dsn, wanted_roles
from tests.pgserver import PostgresServer, PostgresUnavailable


@pytest.fixture
def dsn(request: pytest.FixtureRequest) -> str:
    try:
        server: PostgresServer = request.getfixturevalue("postgres")
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here: {exc}")
    return libpq_dsn(make_url(server.create_database()))


def test_the_key_namespace_is_documented_and_stable() -> None:
    assert Role.shard(3) == Role(SHARD_SPACE, 3) == Role(1, 3)
    assert Role.ingest() == Role(INGEST_SPACE, 0) == Role(2, 0)
    assert wanted_roles((0, 2), ingest=True) == (Role(1, 0), Role(1, 2), Role(2, 0))
    assert wanted_roles((1,), ingest=False) == (Role(1, 1),)
    assert Role.ingest().name == "ingest" and Role.shard(2).name == "shard 2"


async def test_one_holds_the_other_cannot_until_the_holder_closes(dsn: str) -> None:
    first = RoleLocks(dsn, wanted_roles((0,), ingest=True))
    second = RoleLocks(dsn, wanted_roles((0, 1), ingest=True))
    try:
        assert await first.acquire_once() == {Role.shard(0), Role.ingest()}
        # The standby gets only what nobody holds.
        assert await second.acquire_once() == {Role.shard(1)}
        assert not second.holds([Role.shard(0)])
        await first.close()
        assert first.held == frozenset()
        assert await second.acquire_once() == {Role.shard(0), Role.shard(1), Role.ingest()}
        await second.wait_for([Role.shard(0), Role.ingest()])  # already held: returns at once
    finally:
        await first.close()
        await second.close()


async def test_a_sigkilled_holder_frees_its_roles(dsn: str) -> None:
    code = (
        "import asyncio, os, signal, sys\n"
        "from bot.cluster.locks import RoleLocks, Role\n"
        "async def main():\n"
        f"    locks = RoleLocks({dsn!r}, [Role.shard(0)])\n"
        "    print(sorted(r.name for r in await locks.acquire_once()), flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "asyncio.run(main())\n"
    )
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "['shard 0']" in done.stdout, done.stderr
    standby = RoleLocks(dsn, [Role.shard(0)])
    try:
        # The server notices the dead client within moments; the standby's polling then takes the role.
        for _ in range(300):
            if await standby.acquire_once():
                break
            await asyncio.sleep(0.05)
        assert standby.held == {Role.shard(0)}
    finally:
        await standby.close()


async def test_a_dead_lock_connection_drops_every_role_at_once(dsn: str) -> None:
    locks = RoleLocks(dsn, wanted_roles((0,), ingest=True))
    other = RoleLocks(dsn, [Role.ingest()])
    try:
        await locks.acquire_once()
        assert len(locks.held) == 2
        # The server ends our session (as a failover or a network cut would).
        assert locks._conn is not None
        pid = locks._conn.info.backend_pid
        await other.acquire_once()  # holds nothing yet, but has a connection to terminate ours with
        assert other._conn is not None
        await other._conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await locks.acquire_once()  # finds the session dead: drops every role first
        assert locks.held == frozenset() and locks.lost == 1
        assert await other.acquire_once() == {Role.ingest()}
        # Reconnects and takes back what is still free.
        assert await locks.acquire_once() == {Role.shard(0)}
    finally:
        await locks.close()
        await other.close()


async def test_close_releases_the_locks_before_it_returns(dsn: str) -> None:
    holder = RoleLocks(dsn, wanted_roles((0,), ingest=True))
    assert await holder.acquire_once() == {Role.shard(0), Role.ingest()}
    await holder.close()
    # No waiting: once close() has returned the server holds no advisory lock of ours.
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert await cur.fetchone() == (0,)
