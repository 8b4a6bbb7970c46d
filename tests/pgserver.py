"""A real PostgreSQL server for the tests: initdb in a temporary folder, a free loopback port, stopped at the end.

PostgreSQL refuses to run as root, and CI runs as root: the server then runs as the ``postgres`` user (through
``runuser``), in a folder that user owns. Used by the store tests (both backends) and the cluster e2e tests.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


class PostgresUnavailable(RuntimeError):
    pass


def pg_bin() -> Path:
    override = os.environ.get("NEWSDESK_PG_BIN")
    for candidate in ((override,) if override else ()) + PG_BIN_CANDIDATES:
        if candidate and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("PostgreSQL's pg_ctl was not found (install postgresql-15 or set NEWSDESK_PG_BIN)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One throw-away cluster. ``url(db)`` gives a SQLAlchemy psycopg 3 URL; ``create_database()`` a fresh one."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        # Under /tmp, not pytest's 0700 root tmp dirs: the postgres user must be able to reach it.
        self.base = Path(tempfile.mkdtemp(prefix="newsdesk-pg-", dir="/tmp"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.log = self.base / "server.log"
        self.user = "newsdesk"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        self.sockets.mkdir()
        if self.as_root:
            pg = pwd.getpwnam("postgres")
            self.base.chmod(0o755)
            for path in (self.base, self.sockets):
                os.chown(path, pg.pw_uid, pg.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        # Under pytest-xdist every worker starts its own server: the free port picked above may be taken by
        # another worker's server before this one binds it, so a failed start tries again on a fresh port.
        for attempt in range(3):
            options = (
                f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
                )
                break
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
                self.port = free_port()
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"PostgreSQL did not start; see {self.log}") from None
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
