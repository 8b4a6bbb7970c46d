"""Bitmaps of the common words, so that common words that seldom meet are intersected without walking the
full-text index (why and how: ``bot/search/bitmaps.py``).

- PostgreSQL: ``search_lexemes`` gets ``docs`` (how many stories have the word) and ``dense`` (it has, or had,
  at least ``bitmaps.DENSE_DOCS``); ``search_bits`` holds one ``bit(8192)`` row per dense word and bucket of
  8,192 story ids. Filled from ``stories_search`` (one read for the counts, one for the bits: ~1 minute at a
  million stories).
- SQLite: ``search_terms`` (which has the counts) gets ``dense``; ``search_bits`` holds one 1 KB blob per dense
  word and bucket, filled from each dense word's FTS5 postings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from bot.search import bitmaps, postgres_bits, sqlite_bits

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Stories read at a time while the bits are filled.
CHUNK = 20_000


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        _upgrade_sqlite()
        return
    op.execute(
        "ALTER TABLE search_lexemes ADD COLUMN IF NOT EXISTS docs integer NOT NULL DEFAULT 0, "
        "ADD COLUMN IF NOT EXISTS dense boolean NOT NULL DEFAULT FALSE"
    )
    op.execute(
        'CREATE TABLE IF NOT EXISTS search_bits (word text COLLATE "C" NOT NULL, bucket integer NOT NULL, '
        "bits bit(8192) NOT NULL, PRIMARY KEY (word, bucket)) WITH (toast_tuple_target = 128)"
    )
    op.execute("TRUNCATE search_bits")
    conn.execute(
        text(
            "UPDATE search_lexemes AS l SET docs = s.ndoc, dense = s.ndoc >= :dense "
            "FROM ts_stat('SELECT tsv FROM stories_search') AS s WHERE s.word = l.word"
        ),
        {"dense": bitmaps.DENSE_DOCS},
    )
    dense = set(conn.execute(text("SELECT word FROM search_lexemes WHERE dense")).scalars())
    after = -1
    while dense:
        rows = conn.execute(
            text(
                "SELECT story_id, tsvector_to_array(tsv) FROM stories_search WHERE story_id > :after "
                "ORDER BY story_id LIMIT :n"
            ),
            {"after": after, "n": CHUNK},
        ).all()
        if not rows:
            break
        postings: dict[str, list[int]] = defaultdict(list)
        for story_id, words in rows:
            for word in dense.intersection(words):
                postings[word].append(story_id)
        postgres_bits.set_bits(conn, postings)
        after = rows[-1][0]


def _upgrade_sqlite() -> None:
    conn = op.get_bind()
    if "dense" not in {c["name"] for c in sa.inspect(conn).get_columns("search_terms")}:
        op.execute("ALTER TABLE search_terms ADD COLUMN dense INTEGER NOT NULL DEFAULT 0")
    # A rowid table: the rows of one bucket are created together (when its first stories come), so they share
    # pages, and each indexed batch rewrites a few pages rather than one per word.
    op.execute(
        "CREATE TABLE IF NOT EXISTS search_bits (term TEXT NOT NULL, bucket INTEGER NOT NULL, bits BLOB NOT NULL, "
        "UNIQUE (term, bucket))"
    )
    op.execute("DELETE FROM search_bits")
    conn.execute(text("UPDATE search_terms SET dense = docs >= :dense"), {"dense": bitmaps.DENSE_DOCS})
    for term in conn.execute(text("SELECT term FROM search_terms WHERE dense = 1 ORDER BY term")).scalars().all():
        sqlite_bits.fill(conn, term)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS search_bits")
        op.execute("ALTER TABLE search_terms DROP COLUMN dense")
        return
    op.execute("DROP TABLE IF EXISTS search_bits")
    op.execute("ALTER TABLE search_lexemes DROP COLUMN IF EXISTS docs, DROP COLUMN IF EXISTS dense")
