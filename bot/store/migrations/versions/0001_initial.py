"""The schema as Newsdesk 0.1 created it, full-text index included.

Frozen here (not imported from ``bot.store.schema``) so that later changes to the tables come as new revisions.
Every table and index is created only if missing: a database made before migrations existed is adopted by this
revision with all its rows, and gains whatever an older release had not created yet.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEARCH_DDL = {
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS stories_fts USING fts5("
        "title, excerpt, provider, topics, tokenize = 'unicode61 remove_diacritics 2')",
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS stories_search ("
        "story_id INTEGER PRIMARY KEY, title TEXT NOT NULL, excerpt TEXT NOT NULL, provider TEXT NOT NULL, "
        "topics TEXT NOT NULL, tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', provider), 'B') || "
        "setweight(to_tsvector('simple', topics), 'B') || setweight(to_tsvector('simple', excerpt), 'D')) STORED)",
        "CREATE INDEX IF NOT EXISTS ix_stories_search_tsv ON stories_search USING GIN (tsv)",
    ),
}
SEARCH_TABLE = {"sqlite": "stories_fts", "postgresql": "stories_search"}

m = MetaData()
Table(
    "files",
    m,
    Column("path", String, primary_key=True),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String, nullable=False),
    Column("story_key", String, nullable=True, index=True),
    Column("error", Text, nullable=True),
    Column("checked_at", Float, nullable=False),
)
Table(
    "stories",
    m,
    Column("id", Integer, primary_key=True),
    Column("key", String, nullable=False, unique=True),
    Column("path", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("excerpt", Text, nullable=False),
    Column("web_url", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("provider_domain", Text, nullable=False),
    Column("published_at", Float, nullable=True, index=True),
    Column("quality", Integer, nullable=True),
    Column("heat", Integer, nullable=True),
    Column("published", Boolean, nullable=False),
    Column("present", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    Column("fingerprint", String, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_stories_listing", "present", "published", "published_at"),
    Index("ix_stories_provider", "provider", "present", "published", "published_at"),
    Index("ix_stories_updated", "updated_at"),
)
Table(
    "story_topics",
    m,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("topic", Text, nullable=False),
    Column("norm", Text, nullable=False),
    PrimaryKeyConstraint("story_id", "norm"),
    Index("ix_story_topics_norm", "norm", "story_id"),
)
Table(
    "deliveries",
    m,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("state", String, nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("payload_hash", String, nullable=True),
    Column("generation", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("story_id", "channel_id"),
    Index("ix_deliveries_state", "state"),
)
Table("meta", m, Column("key", String, primary_key=True), Column("value", Text, nullable=False))
Table(
    "feed_routes",
    m,
    Column("channel_id", BigInteger, primary_key=True),
    Column("guild_id", BigInteger, nullable=False, index=True),
    Column("topics", Text, nullable=False),
    Column("min_quality", Integer, nullable=False),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", Float, nullable=False),
)
Table(
    "topic_roles",
    m,
    Column("guild_id", BigInteger, nullable=False),
    Column("norm", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("role_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("guild_id", "norm"),
)
Table(
    "guild_settings",
    m,
    Column("guild_id", BigInteger, primary_key=True),
    Column("alerts_channel_id", BigInteger, nullable=True),
)
Table(
    "alerts_sent",
    m,
    Column("key", String, primary_key=True),
    Column("sent_at", Float, nullable=False),
    Column("suppressed", Integer, nullable=False),
)
Table(
    "digests",
    m,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("name", String, nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("cron", String, nullable=False),
    Column("timezone", String, nullable=False),
    Column("label", String, nullable=False),
    Column("topics", Text, nullable=False),
    Column("min_quality", Integer, nullable=False),
    Column("max_items", Integer, nullable=False),
    Column("min_items", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("guild_id", "name", name="uq_digests_guild_name"),
)
Table(
    "digest_runs",
    m,
    Column("id", Integer, primary_key=True),
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("window_start", Float, nullable=False),
    Column("window_end", Float, nullable=False),
    Column("status", String, nullable=False),
    Column("story_count", Integer, nullable=False),
    Column("message_ids", Text, nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_digest_runs_digest", "digest_id", "window_end"),
)
Table(
    "digest_items",
    m,
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", Integer, ForeignKey("digest_runs.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", BigInteger, nullable=True),
    PrimaryKeyConstraint("digest_id", "story_id"),
)


def upgrade() -> None:
    bind = op.get_bind()
    m.create_all(bind, checkfirst=True)
    # create_all skips the indexes of tables that already exist: an older database gets the ones added since.
    for table in m.sorted_tables:
        for index in table.indexes:
            index.create(bind, checkfirst=True)
    for statement in SEARCH_DDL[bind.dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    op.execute(f"DROP TABLE IF EXISTS {SEARCH_TABLE[bind.dialect.name]}")
    m.drop_all(bind, checkfirst=True)
