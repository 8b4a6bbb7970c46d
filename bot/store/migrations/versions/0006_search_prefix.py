"""Word-start search without merging postings: FTS5 prefix indexes on SQLite.

- SQLite: ``stories_fts`` is rebuilt with ``prefix='4 5 6'``. A word start ("sens") otherwise makes FTS5 read
  and merge the whole posting list of every word it begins before the first row: 15-100 ms at a million
  stories. With a prefix index of the start's length it walks one posting list from the newest row and stops
  after the window, as for a whole word. Starts shorter than 4 are never searched (``MIN_PREFIX``); longer than
  6 still merge, but match few words. The rows are copied from the old table, so no story is re-indexed.
- PostgreSQL: ``search_lexemes``, every word the full-text index has held. A word start ("proto":*) is a partial
  match to GIN, which collects every posting of every word it begins into a bitmap before anything else; spelled
  out as the words themselves ('protocol' | 'prototype') the words of a query are intersected in the index. Words
  are added with their stories and never removed (one that no story has any more just matches nothing).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = "title, excerpt, provider, topics"
TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'"
PREFIX = "prefix = '4 5 6'"


def _rebuild_fts(options: str) -> None:
    """Recreate ``stories_fts`` with ``options``, keeping its rows (and rowids, the story ids)."""
    op.execute("DROP TABLE IF EXISTS stories_fts_rebuilt")
    op.execute(f"CREATE VIRTUAL TABLE stories_fts_rebuilt USING fts5({COLUMNS}, {options})")
    # In rowid order: FTS5 appends each row to its in-memory segment, so the copy writes few, large segments.
    op.execute(
        f"INSERT INTO stories_fts_rebuilt (rowid, {COLUMNS}) SELECT rowid, {COLUMNS} FROM stories_fts ORDER BY rowid"
    )
    op.execute("DROP TABLE stories_fts")
    op.execute("ALTER TABLE stories_fts_rebuilt RENAME TO stories_fts")
    # One b-tree per index: later searches read no more segments than a fully merged index has.
    op.execute("INSERT INTO stories_fts (stories_fts) VALUES ('optimize')")


def _fts_sql() -> str:
    return op.get_bind().exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'stories_fts'").scalar() or ""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # C collation: the primary key's b-tree then serves LIKE 'start%' whatever the database's collation.
        op.execute('CREATE TABLE IF NOT EXISTS search_lexemes (word TEXT COLLATE "C" PRIMARY KEY)')
        op.execute(
            "INSERT INTO search_lexemes (word) SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM stories_search "
            "ON CONFLICT DO NOTHING"
        )
        return
    if "prefix" not in _fts_sql():
        _rebuild_fts(f"{TOKENIZER}, {PREFIX}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_lexemes")
        return
    if "prefix" in _fts_sql():
        _rebuild_fts(TOKENIZER)
