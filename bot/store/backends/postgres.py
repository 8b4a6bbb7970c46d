"""PostgreSQL (psycopg 3): connection pool, a tsvector full-text index, and an advisory lock around migrations."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, Text, create_engine, event, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError

from bot.store.backends import SearchRow, UpsertInsert
from bot.store.backends.sqlite_rank import DocFrequencies

# Any constant; processes opening the same database at once take turns migrating it.
MIGRATION_LOCK_KEY = 0x6E657773  # "news"
# The full-text index (made by migration 0001): a copy of the searchable text per story, and a generated,
# weighted tsvector over it with a GIN index. Weights follow SQLite's bm25 column weights.
# ts_rank_cd's weights for D, C, B, A: SQLite's bm25(4, 1, 2, 2) scaled to at most 1.
RANK_WEIGHTS = "{0.25, 0.25, 0.5, 1.0}"
# A pooled connection idle for longer than this is pinged before use; one used just now is not (a ping is a
# round trip, and a post's path from file to Discord takes several connections in a row).
PING_IDLE_SECONDS = 2.0
# Fewer rows than this go in as one INSERT: a COPY costs an extra round trip, worth it only for bulk loads.
COPY_FROM_ROWS = 50
# A word start is spelled out as the words it begins (from ``search_lexemes``, migration 0006) up to this many;
# beyond that it stays a partial match (":*"), which a start that broad makes no slower than the words would.
MAX_EXPANSION = 64
# A query search first walks this many of the newest stories (~5 ms), then asks the GIN index for older matches.
NEWEST_ROWS = 3000
# Fewer than a SPARSE-th of the window among them: the older matches are looked up in the GIN index.
SPARSE = 10
_LEXEME = re.compile(r"[^\W_]+")

_search = Table(
    "stories_search",
    MetaData(),
    Column("story_id", Integer, primary_key=True),
    Column("title", Text),
    Column("excerpt", Text),
    Column("provider", Text),
    Column("topics", Text),
)


class PostgresBackend:
    name = "postgresql"
    true = "TRUE"
    ordered_join = "JOIN"
    # Autocommit: one statement is atomic by itself, and this spares the BEGIN and the ROLLBACK, a round trip each.
    single_statement_options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}  # noqa: RUF012  never mutated
    writes_in_with = True

    def create_engine(self, url: URL) -> Engine:
        # LIFO: the connection used last goes out first, so a busy process keeps reusing warm connections.
        engine = create_engine(
            url,
            pool_use_lifo=True,
            pool_size=5,
            max_overflow=10,
            connect_args={"connect_timeout": 10, "application_name": "newsdesk"},
        )
        # An INSERT of several rows goes as one statement with a VALUES list (compiled once, cached) instead of
        # psycopg's executemany, which pipelines but still waits for the server more than once: on a busy machine
        # each wait costs a scheduling round.
        engine.dialect.use_insertmanyvalues_wo_returning = True
        _ping_when_idle(engine)
        return engine

    def describe_failure(self, url: URL, exc: BaseException) -> tuple[str, str]:
        where = f"{url.database} on {url.host or 'localhost'}:{url.port or 5432}"
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return where, reason.removeprefix("connection failed: ")

    def insert(self, table: Table) -> UpsertInsert:
        return pg_insert(table)

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        # Session-level: held across the migration's commits, and dropped by the server if this process dies.
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        # COPY, in the batch's transaction: psycopg's executemany costs the client ~0.1 ms a row, COPY a few µs.
        if not rows:
            return
        if len(rows) < COPY_FROM_ROWS:
            conn.execute(insert(table), list(rows))
            return
        columns = list(rows[0])
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])

    def search_add(self, conn: Connection, rows: Sequence[SearchRow]) -> None:
        if rows:
            keys = ("story_id", "title", "excerpt", "provider", "topics")
            self.bulk_insert(conn, _search, [dict(zip(keys, row, strict=True)) for row in rows])
            # In word order, so that two writers adding the same new words take their locks in the same order.
            conn.execute(
                text(
                    "INSERT INTO search_lexemes (word) SELECT DISTINCT unnest(tsvector_to_array(tsv)) AS w "
                    "FROM stories_search WHERE story_id = ANY(:ids) ORDER BY w ON CONFLICT DO NOTHING"
                ),
                {"ids": [row[0] for row in rows]},
            )

    def search_remove(self, conn: Connection, story_ids: Sequence[int]) -> None:
        if story_ids:
            conn.execute(_search.delete().where(_search.c.story_id.in_(list(story_ids))))

    def search_window(
        self,
        conn: Connection,
        words: Sequence[str],
        prefix: bool,
        topics: Sequence[str],
        providers: Sequence[str],
        n: int,
        freq: DocFrequencies | None = None,
    ) -> list[tuple[int, Any]]:
        # Words hold only letters and digits, so quoting each one as a lexeme leaves no tsquery syntax in user text.
        query = _tsquery(conn, words, prefix)
        if query is None:
            return []
        params: dict[str, Any] = {"q": query, "n": n}
        where = ["f.tsv @@ to_tsquery('simple', :q)"]
        if topics:
            params["topics"] = list(topics)
            where.append(
                "EXISTS (SELECT 1 FROM story_topics AS t WHERE t.story_id = f.story_id AND t.norm = ANY(:topics))"
            )
        if providers:
            params["providers"] = list(providers)
            where.append("f.provider = ANY(:providers)")
        # Normalisation 1 (divide by 1 + log of the length) favours shorter stories, as bm25's length term does.
        # Scored outside the LIMIT: when the GIN index collects every match and sorts them, only the window's rows
        # are ranked (in the select list under the sort, ts_rank_cd would read the positions of every match).
        score = "m.title" if prefix else f"-ts_rank_cd('{RANK_WEIGHTS}', m.tsv, to_tsquery('simple', :q), 1)"
        # The planner cannot tell how many stories have all of several words (it multiplies their shares): left
        # to itself it may walk the whole table newest first for words that never meet, seconds at a million
        # stories. So several words are first looked for among the NEWEST_ROWS newest stories (~5 ms)...
        if len(words) == 1:
            return _window(conn, "stories_search AS f", where, score, "f.story_id", params)
        newest = f"(SELECT * FROM stories_search ORDER BY story_id DESC LIMIT {NEWEST_ROWS}) AS f"
        rows = _window(conn, newest, where, score, "f.story_id", params)
        if len(rows) >= n:
            return rows
        floor = conn.execute(
            text(f"SELECT story_id FROM stories_search ORDER BY story_id DESC OFFSET {NEWEST_ROWS - 1} LIMIT 1")
        ).scalar()
        if floor is None:  # those were all the stories
            return rows
        # ...then among the older ones. Where the newest had few matches, the older are sparse too: the GIN index
        # intersects the words' postings and few rows are read ("story_id + 0" keeps the planner off the walk in
        # the primary key's order). Otherwise walking on from there finds the rest within a few thousand rows.
        sparse = len(rows) * SPARSE < n
        older = [*where, "f.story_id < :floor"]
        rest = {**params, "floor": floor, "n": n - len(rows)}
        return rows + _window(
            conn, "stories_search AS f", older, score, "f.story_id + 0" if sparse else "f.story_id", rest
        )

    def hint(self, column: str) -> str:
        return column

    def ids_in(self, params: dict[str, Any], ids: Sequence[int]) -> str:
        params["ids"] = list(ids)
        return "s.id = ANY(:ids)"

    def indexed_by(self, index: str) -> str:
        return ""


def _window(
    conn: Connection, source: str, where: Sequence[str], score: str, order: str, params: dict[str, Any]
) -> list[tuple[int, Any]]:
    sql = (
        f"SELECT m.story_id, {score} FROM (SELECT f.story_id, f.tsv, f.title FROM {source} "
        f"WHERE {' AND '.join(where)} ORDER BY {order} DESC LIMIT :n) AS m ORDER BY m.story_id DESC"
    )
    return [(row[0], row[1]) for row in conn.execute(text(sql), params)]


def _tsquery(conn: Connection, words: Sequence[str], prefix: bool) -> str | None:
    """The words as a tsquery, all required; with ``prefix`` the last one also matches the words it begins. None
    when a word (or start) is in no story: its statistics make the planner guess it common, and walk the table."""
    whole = list(words[:-1] if prefix else words)
    # Folded as the index folds them (to_tsvector), not as Python would.
    absent = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM unnest(tsvector_to_array(to_tsvector('simple', :words))) AS x(w) "
            "WHERE NOT EXISTS (SELECT 1 FROM search_lexemes AS l WHERE l.word = x.w))"
        ),
        {"words": " ".join(whole)},
    ).scalar()
    if absent:
        return None
    terms = [f"'{w}'" for w in whole]
    if prefix:
        start = _word_start(conn, words[-1])
        if start is None:
            return None
        terms.append(start)
    return " & ".join(terms)


def _word_start(conn: Connection, start: str) -> str | None:
    """A word start as the words of the index it begins ('protocol' | 'prototype'), or as a partial match."""
    folded = conn.execute(text("SELECT tsvector_to_array(to_tsvector('simple', :w))"), {"w": start}).scalar()
    if not folded or len(folded) != 1:
        return f"'{start}':*"
    found = (
        conn.execute(
            text("SELECT word FROM search_lexemes WHERE word LIKE :pattern ORDER BY word LIMIT :cap"),
            {
                "pattern": folded[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                "cap": MAX_EXPANSION + 1,
            },
        )
        .scalars()
        .all()
    )
    if not found:
        return None  # no word starts so
    if len(found) > MAX_EXPANSION or not all(_LEXEME.fullmatch(w) for w in found):
        return f"'{start}':*"
    return "(" + " | ".join(f"'{w}'" for w in found) + ")"


POSTGRES = PostgresBackend()


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections idle past ``PING_IDLE_SECONDS``: it replaces
    connections the server dropped (restart, idle timeout) instead of failing a command, without a round trip
    before every transaction."""

    @event.listens_for(engine, "connect")
    def fresh(dbapi_conn: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def returned(dbapi_conn: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("used_at", 0.0) < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool drops this connection and checks out another (a fresh one if need be).
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        record.info["used_at"] = time.monotonic()
