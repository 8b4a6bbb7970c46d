"""PostgreSQL: the full-text GIN index also holds each story's id bucket, so a search can ask for a range of ids.

A query whose words are each common but seldom meet ("satellite sensor budget": 22 % of the stories each,
0.5 % together) was slow both ways at a million stories: walking the newest stories reads ~200 rows per match
(~100 ms for a window of 200), and the GIN index collects all ~700,000 postings and fetches every one of the
~5,000 matches from the heap to sort them (~90 ms). With a bucket lexeme per story (``'_' || story_id >> 14``,
16,384 ids a bucket) ANDed into the query, GIN skips through the words' posting lists to the few buckets asked
for and only their matches are fetched: the newest window's matches in ~5 ms (``PostgresSearch.window``).

The index replaces ``ix_stories_search_tsv`` (every search now asks the expression below, or walks the table).
A bucket lexeme starts with "_", which no searched word has (words are letters and digits), so it never matches
a user's word; ``tsvector_to_array(tsv)`` (``search_lexemes``) does not see it. SQLite: nothing to do.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Must stay the expression ``bot.search.postgres.INDEXED`` asks for (a unit test checks they match).
EXPRESSION = "(tsv || array_to_tsvector(ARRAY['_' || (story_id >> 14)::text]))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_stories_search_buckets ON stories_search USING GIN ({EXPRESSION})")
    op.execute("DROP INDEX IF EXISTS ix_stories_search_tsv")
    # The planner's statistics for the new expression (how common each word is), as for the old column.
    op.execute("ANALYZE stories_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_stories_search_tsv ON stories_search USING GIN (tsv)")
    op.execute("DROP INDEX IF EXISTS ix_stories_search_buckets")
