"""Alembic migrations: a database from the release before migrations upgrades in place with every row kept, and
processes opening a fresh PostgreSQL database together migrate it once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.routes.planning import make_planner
from bot.search.service import SearchRequest, search_stories
from bot.store import DeliveryState, Store, migrate
from bot.store.errors import StorageError
from tests.pgserver import PostgresServer
from tests.storyfiles import parsed_file

SCHEMA_0_1 = Path(__file__).parent.parent / "data" / "schema_0_1.sql"
NOW = 1_764_547_200.0
TABLES = (
    "files",
    "stories",
    "story_topics",
    "deliveries",
    "meta",
    "feed_routes",
    "topic_roles",
    "guild_settings",
    "alerts_sent",
    "digests",
    "digest_runs",
    "digest_items",
)


def legacy_database(path: Path) -> dict[str, int]:
    """A database as release 0.1 made and filled it (its own DDL, no alembic_version); returns its row counts."""
    item = parsed_file("s1.md", 1, title="Quantum sensors", topics=["AI", "Space"])
    s = item.story
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(SCHEMA_0_1.read_text(encoding="utf-8"))
        db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, NULL, ?)", (item.path, 1, 100, item.sha256, s.key, NOW))
        db.execute("INSERT INTO files VALUES ('bad.md', 1, 5, 'x', NULL, 'no front matter', ?)", (NOW,))
        row_tail = (item.data_json, item.fingerprint, NOW, NOW)
        db.execute(
            "INSERT INTO stories VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, 1, ?, ?, ?, ?)",
            (
                s.key,
                item.path,
                s.title,
                s.excerpt,
                s.web_url,
                s.provider.name if s.provider else "",
                "",
                NOW,
                *row_tail,
            ),
        )
        db.executemany("INSERT INTO story_topics VALUES (1, ?, ?)", [(t, t.casefold()) for t in s.topics])
        db.execute(
            "INSERT INTO stories_fts (rowid, title, excerpt, provider, topics) VALUES (1, ?, ?, ?, ?)",
            (s.title, s.excerpt, s.provider.name if s.provider else "", " ".join(s.topics)),
        )
        db.execute("INSERT INTO deliveries VALUES (1, 7, 'sent', 9001, 'h', 0, 1, 0, NULL, ?)", (NOW,))
        db.execute("INSERT INTO meta VALUES ('initialized_at', ?)", (str(NOW),))
        db.execute("INSERT INTO feed_routes VALUES (8, 100, '[\"AI\"]', 0, 5, ?)", (NOW,))
        db.execute("INSERT INTO topic_roles VALUES (100, 'ai', 'AI', 555)")
        db.execute("INSERT INTO guild_settings VALUES (100, 9)")
        db.execute("INSERT INTO alerts_sent VALUES ('forbidden:8', ?, 2)", (NOW,))
        db.execute(
            "INSERT INTO digests VALUES (1, 100, 'morning', 8, '0 8 * * *', 'UTC', 'daily at 08:00', '[]', 0, 10, 1, "
            "?, ?)",
            (NOW, NOW),
        )
        db.execute("INSERT INTO digest_runs VALUES (1, 1, ?, ?, ?, 'sent', 1, '[42]', NULL)", (NOW, NOW - 86400, NOW))
        db.execute("INSERT INTO digest_items VALUES (1, 1, 1, 42)")
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_a_database_from_before_migrations_is_adopted_with_every_row_and_works(tmp_path: Path) -> None:
    path = tmp_path / "newsdesk.db"
    counts = legacy_database(path)
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
            assert {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES} == counts
        # Its full-text index, ledger, routes and digests are all still read as before.
        assert [s.title for s in search_stories(store, SearchRequest(query="quantum"))] == ["Quantum sensors"]
        assert [s.title for s in search_stories(store, SearchRequest(topic="space"))] == ["Quantum sensors"]
        delivery = store.ledger.read((1, 7))
        assert delivery is not None and (delivery.state, delivery.message_id) == (DeliveryState.SENT, 9001)
        assert store.rejected_files() == [("bad.md", "no front matter")]
        newsroom = store.newsroom
        assert [(r.channel_id, r.topics) for r in newsroom.routes()] == [(8, ("AI",))]
        assert [r.role_id for r in newsroom.topic_roles(100)] == [555]
        digests = store.digests
        assert [d.spec.name for d in digests.all()] == ["morning"] and digests.delivered(1) == {1}
        # And the bot carries on: a new story is indexed, planned and found next to the old one.
        pending = store.apply(
            [parsed_file("s2.md", 2, title="Quantum dots")],
            make_planner(lambda s: [7], announce=True, on_unpublish="delete"),
        )
        assert pending.pending == [(2, 7)]
        titles = {s.title for s in search_stories(store, SearchRequest(query="quantum"))}
        assert titles == {"Quantum sensors", "Quantum dots"}
    finally:
        store.close()
    # A second open finds the schema current and changes nothing.
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert migrate.upgrade(engine) == migrate.Upgrade(migrate.head(), migrate.head())
    finally:
        engine.dispose()


def test_an_older_database_missing_later_tables_gains_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    legacy_database(path)
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript("DROP TABLE digest_items; DROP TABLE digest_runs; DROP TABLE digests;")
    Store.open(f"sqlite:///{path}").close()
    with closing(sqlite3.connect(path)) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"digests", "digest_runs", "digest_items", "alembic_version"} <= names


def test_a_database_with_only_some_newsdesk_tables_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE stories (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(StorageError) as info:
        Store.open(f"sqlite:///{path}")
    assert str(info.value).startswith(f"storage.url 'sqlite:///{path}': cannot open the database")
    assert "not a Newsdesk database" in str(info.value) and "deliveries" in str(info.value)


def test_processes_opening_a_fresh_postgres_database_together_migrate_it_once(postgres: PostgresServer) -> None:
    url = postgres.create_database()
    engines = [create_engine(url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    results: list[migrate.Upgrade] = []
    errors: list[BaseException] = []

    def open_one(i: int) -> None:
        start.wait()
        try:
            results.append(migrate.upgrade(engines[i]))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # Exactly one of them found it empty and migrated it; the others found it done.
    assert sorted((r.before or "") for r in results) == ["", migrate.head(), migrate.head()]
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert set(TABLES) | {"stories_search"} <= set(inspect(conn).get_table_names())
    for engine in engines:
        engine.dispose()


def test_postgres_faults_at_open_end_in_one_line_with_the_password_masked(postgres: PostgresServer) -> None:
    missing = postgres.url("no_such_db").replace(f"{postgres.user}@", f"{postgres.user}:s3cret@")
    with pytest.raises(StorageError) as info:
        Store.open(missing)
    message = str(info.value)
    assert "s3cret" not in message and ":***@" in message and "\n" not in message
    assert message.startswith("storage.url ") and 'database "no_such_db" does not exist' in message

    refused = f"postgresql+psycopg://bot:s3cret@127.0.0.1:{_closed_port()}/news"
    with pytest.raises(StorageError) as info:
        Store.open(refused)
    assert "s3cret" not in str(info.value) and "refused" in str(info.value).lower()


def _closed_port() -> int:
    from tests.pgserver import free_port

    return free_port()


def test_apschedulers_job_store_works_on_postgres(store_url: str) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    store = Store.open(store_url)
    try:
        jobs = store.job_store()
        scheduler = BackgroundScheduler(jobstores={"default": jobs}, timezone="UTC")
        scheduler.add_job(print, "cron", hour=8, id="1", args=["digest"])
        scheduler.start(paused=True)
        try:
            (job,) = jobs.get_all_jobs()
            assert (job.id, job.args) == ("1", ("digest",))
            assert jobs.lookup_job("1") is not None
        finally:
            scheduler.shutdown(wait=False)
    finally:
        store.close()


def test_the_known_head_is_the_newest_migration_script() -> None:
    # migrate.HEAD spares a current database the Alembic import; it must follow every new revision file.
    assert migrate.head() == migrate.script_head()


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    Store.open(url).close()
    code = f"import sys; from bot.store import Store; Store.open({url!r}).close(); print('alembic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"
