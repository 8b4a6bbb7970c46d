"""SQLite: ``search_terms``, how many indexed stories have each word, kept by every indexed batch.

bm25's IDF needs each query word's number of matching rows. FTS5 counts them by reading the word's whole
posting list (~20 ms for a common word at a million stories), so they are kept here instead, as the catalog
counts are: each batch adds its stories' words and takes out the words of the stories it replaces or removes
(``SqliteSearch.add``/``remove``). Filled once from FTS5's own vocabulary (a few seconds at a
million stories). PostgreSQL ranks with ``ts_rank_cd``, which needs no counts: nothing to do there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("CREATE TABLE IF NOT EXISTS search_terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID")
    op.execute("DELETE FROM search_terms")
    op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms_vocab USING fts5vocab(main, stories_fts, 'row')")
    op.execute("INSERT INTO search_terms (term, docs) SELECT term, doc FROM temp.search_terms_vocab")
    op.execute("DROP TABLE temp.search_terms_vocab")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS search_terms")
