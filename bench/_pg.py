"""A PostgreSQL server for the benchmarks whose data folder is kept under ``bench/out/`` between runs, so a
database built once (a million stories take minutes) is measured again without being rebuilt."""

from __future__ import annotations

import contextlib
import os
import pwd
import subprocess
import time
from pathlib import Path

from tests.pgserver import PostgresServer, free_port


class CachedPostgres(PostgresServer):
    def __init__(self, base: Path) -> None:
        super().__init__()
        os.rmdir(self.base)  # the parent made a temporary folder: this one lives at ``base`` instead
        self.base = base
        self.data = base / "data"
        self.sockets = base / "sockets"
        self.log = base / "server.log"
        self.port = free_port()

    def start(self) -> CachedPostgres:
        fresh = not self.data.exists()
        self.base.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self.as_root:
            pg = pwd.getpwnam("postgres")
            self.base.chmod(0o755)
            for path in (self.base, self.sockets):
                os.chown(path, pg.pw_uid, pg.pw_gid)
        if fresh:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                      "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=256MB "
            "-c max_wal_size=4GB"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        time.sleep(0.2)
        return self

    def stop(self) -> None:
        # A clean, fast shutdown that keeps the data folder for the next run.
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def has_database(self, name: str) -> bool:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres") as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    def version(self) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"

    def rename_database(self, old: str, new: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')

    def drop_database(self, name: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
