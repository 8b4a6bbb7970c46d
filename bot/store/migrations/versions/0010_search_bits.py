"""PostgreSQL: word counts and bitmaps of the common words, so that common words are intersected without GIN.

``search_lexemes`` gets ``docs`` (how many stories have the word) and ``dense`` (it has, or had, at least
``postgres_bits.DENSE_DOCS``); ``search_bits`` holds one ``bit(8192)`` row per dense word and bucket of 8,192
story ids. Why and how they are read: ``bot/store/backends/postgres_bits.py``. Filled here from the stories
already indexed (one read of ``stories_search`` for the counts, one for the bits: ~1 minute at a million
stories). SQLite: nothing to do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections import defaultdict

from alembic import op
from sqlalchemy import text

from bot.store.backends import postgres_bits

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Stories read at a time while the bits are filled.
CHUNK = 20_000


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
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
        {"dense": postgres_bits.DENSE_DOCS},
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


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_bits")
    op.execute("ALTER TABLE search_lexemes DROP COLUMN IF EXISTS docs, DROP COLUMN IF EXISTS dense")
