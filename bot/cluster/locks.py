"""Roles held through PostgreSQL advisory locks, on one dedicated connection per process.

Key namespace (two int4 keys, a key space of their own apart from the one-bigint migration lock):
shard ``n`` → ``(1, n)``; ingest → ``(2, 0)``. A session-level advisory lock lives as long as the session, so
a holder that dies (even by SIGKILL) frees its roles: an idle backend at once, a busy one within
``client_connection_check_interval`` (1 s), a vanished host after the TCP keepalives give up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

log = logging.getLogger(__name__)

SHARD_SPACE = 1
INGEST_SPACE = 2
POLL_SECONDS = 2.0
UNLOCK_SECONDS = 2.0  # close() waits at most this long for the server to release the locks
# A dead peer is noticed by the kernel after idle + interval * count seconds: well inside the 15 s takeover.
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


@dataclass(frozen=True, slots=True, order=True)
class Role:
    space: int
    number: int = 0

    @classmethod
    def shard(cls, n: int) -> Role:
        return cls(SHARD_SPACE, n)

    @classmethod
    def ingest(cls) -> Role:
        return cls(INGEST_SPACE, 0)

    @property
    def name(self) -> str:
        return "ingest" if self.space == INGEST_SPACE else f"shard {self.number}"


def wanted_roles(shard_ids: Iterable[int], *, ingest: bool) -> tuple[Role, ...]:
    return (*(Role.shard(n) for n in shard_ids), *((Role.ingest(),) if ingest else ()))


class RoleLocks:
    """Takes the ``wanted`` roles as they come free (polling every ``poll`` seconds) and keeps them while its
    connection lives. If that connection dies, every role is dropped at once (``held`` empties, waiters wake)
    before anything else happens, then the locks are sought again on a new connection."""

    def __init__(self, dsn: str, wanted: Iterable[Role], *, poll: float = POLL_SECONDS) -> None:
        self._dsn = dsn
        self.wanted = tuple(dict.fromkeys(wanted))
        self._poll = poll
        self._held: set[Role] = set()
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._changed = asyncio.Event()
        self.lost = 0  # times the lock connection died while holding roles

    @property
    def held(self) -> frozenset[Role]:
        return frozenset(self._held)

    def holds(self, roles: Iterable[Role]) -> bool:
        return set(roles) <= self._held

    async def wait_for(self, roles: Iterable[Role]) -> None:
        """Return once every role in ``roles`` is held."""
        roles = set(roles)
        while not roles <= self._held:
            await self._next_change()

    async def wait_ingest(self) -> None:
        """Return once this process holds the ingest role; never, when it does not seek it (``--no-ingest``)."""
        if Role.ingest() not in self.wanted:
            await asyncio.Event().wait()
        await self.wait_for([Role.ingest()])

    async def wait_lost(self, roles: Iterable[Role]) -> None:
        """Return once any role in ``roles`` is no longer held."""
        roles = set(roles)
        while roles <= self._held:
            await self._next_change()

    async def _next_change(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    async def acquire_once(self) -> frozenset[Role]:
        """One round: connect if needed, check the connection, try each role not yet held."""
        try:
            conn = await self._connection()
            await conn.execute("SELECT 1")  # a dead session must be found before we claim to hold anything
            for role in self.wanted:
                if role in self._held:
                    continue
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (role.space, role.number))
                row = await cur.fetchone()
                if row and row[0]:
                    self._held.add(role)
                    log.info("Took the %s role", role.name)
                    self._changed.set()
        except psycopg.Error as exc:
            await self._drop(f"{type(exc).__name__}: {exc}".strip())
        return self.held

    async def run(self) -> None:
        """Keep trying until cancelled."""
        try:
            while True:
                await self.acquire_once()
                await asyncio.sleep(self._poll)
        finally:
            await self.close()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self._dsn, autocommit=True, connect_timeout=5, application_name="newsdesk-roles", **KEEPALIVES
            )
            # Frees our locks about 1 s after we die even if the backend is busy in a statement.
            await self._conn.execute("SET client_connection_check_interval = '1s'")
        return self._conn

    async def _drop(self, reason: str) -> None:
        if self._held:
            self.lost += 1
            log.warning(
                "Lost the lock connection (%s): dropping %s until the locks are taken again",
                reason,
                ", ".join(r.name for r in sorted(self._held)),
            )
            self._held.clear()
            self._changed.set()
        else:
            log.debug("Lock connection unavailable: %s", reason)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def close(self) -> None:
        """Release everything: unlocked by the server before this returns, so a standby's next poll takes them."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                # Closing the session alone frees the locks only once the server has processed the disconnect, a
                # moment after close() returned; a dead server is not waited for beyond UNLOCK_SECONDS.
                if not self._conn.closed:
                    await asyncio.wait_for(self._conn.execute("SELECT pg_advisory_unlock_all()"), UNLOCK_SECONDS)
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        if self._held:
            self._held.clear()
            self._changed.set()


def libpq_dsn(sqlalchemy_url: Any) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as the plain libpq URL psycopg connects with."""
    return str(sqlalchemy_url.set(drivername="postgresql").render_as_string(hide_password=False))
