"""Schema migrations (Alembic) for both backends: applied by ``newsdesk migrate`` and by every open for writing.

On PostgreSQL several processes may start together: the upgrade runs under an advisory lock, so one migrates
and the others then find the schema current. A SQLite file has one process, and its write lock covers the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from bot.store.backends import backend_of

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision under migrations/versions (a unit test checks it against Alembic's own view). Knowing it
# here lets an open of a current database skip importing Alembic at all: a few MB less in every process.
HEAD = "0015"
# What a database made before migrations existed must hold to be adopted (the rest 0001 adds if missing).
LEGACY_TABLES = frozenset({"files", "stories", "story_topics", "deliveries", "meta"})


class MigrationError(Exception):
    """The database cannot be brought to the current schema (e.g. it is not a Newsdesk database)."""


@dataclass(frozen=True, slots=True)
class Upgrade:
    before: str | None  # None: an empty database, or one made before migrations existed (``adopted``)
    after: str
    adopted: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision this code knows."""
    return HEAD


def script_head() -> str | None:
    """The newest revision as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current(conn: Connection) -> str | None:
    """The database's revision (None: empty, or made before migrations existed), without importing Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def upgrade(engine: Engine, *, announce: bool = True) -> Upgrade:
    """Bring the database to ``head``; a no-op (one cheap read) when it already is. ``announce`` logs what changed
    (the bot's start-up); ``newsdesk migrate`` says it itself, once, and passes False."""
    with engine.connect() as conn:
        before = current(conn)
        conn.rollback()
        if before == head():
            return Upgrade(before, before)
        with backend_of(conn).migration_lock(conn):
            before = current(conn)  # another process may have migrated while this one waited for the lock
            conn.rollback()
            adopted = before is None and _check_legacy(conn)
            if before != head():
                from alembic import command

                cfg = _config()
                cfg.attributes["connection"] = conn
                with conn.begin():
                    command.upgrade(cfg, "head")
            after = current(conn)
            conn.commit()
    result = Upgrade(before, after or head(), adopted)
    if announce and adopted:
        log.info("Adopted a database made before migrations (its tables were all there) at revision %s", after)
    elif announce and result.changed:
        log.info("Migrated the database from %s to %s", before or "empty", after)
    return result


def _check_legacy(conn: Connection) -> bool:
    """True for a database made before migrations; an unrelated non-empty database is refused."""
    tables = set(inspect(conn).get_table_names())
    conn.rollback()
    if not tables & LEGACY_TABLES:
        return False
    missing = LEGACY_TABLES - tables
    if missing:
        raise MigrationError(
            f"it has some of Newsdesk's tables but not {', '.join(sorted(missing))}: not a Newsdesk database?"
        )
    return True
