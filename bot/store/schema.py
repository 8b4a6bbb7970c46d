"""Tables, for the queries (the schema itself is made by the migrations in ``bot/store/migrations``).

The full-text index is per backend: FTS5 ``stories_fts`` on SQLite, ``stories_search`` on PostgreSQL."""

from __future__ import annotations

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
)

from bot.store.records import DeliveryState

metadata = MetaData()

# One row per story file seen; the reconciliation scan compares (mtime_ns, size) against it.
files = Table(
    "files",
    metadata,
    Column("path", String, primary_key=True),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String, nullable=False),
    Column("story_key", String, nullable=True, index=True),
    Column("error", Text, nullable=True),
    Column("checked_at", Float, nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String, nullable=False, unique=True),
    Column("path", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("excerpt", Text, nullable=False, default=""),
    Column("web_url", Text, nullable=False, default=""),
    Column("provider", Text, nullable=False, default=""),
    Column("provider_domain", Text, nullable=False, default=""),
    Column("published_at", Float, nullable=True, index=True),
    Column("quality", Integer, nullable=True),
    Column("heat", Integer, nullable=True),
    Column("published", Boolean, nullable=False),
    # False once no file defines the story; the row stays so its messages can still be deleted.
    Column("present", Boolean, nullable=False, default=True),
    Column("data", Text, nullable=False),
    Column("fingerprint", String, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # When the bot last saw the story become live (published and present); None while it is not. A route posts a
    # story on its own only if this is after the route began: older ones are the route's archive (backfill).
    Column("live_since", Float, nullable=True),
    Index("ix_stories_listing", "present", "published", "published_at"),
    # /news provider=: a covering, date-ordered walk of one provider's stories, and the per-provider counts.
    Index("ix_stories_provider", "provider", "present", "published", "published_at"),
    # Search's cheap "did anything change?" check: max(updated_at) from the index's last entry.
    Index("ix_stories_updated", "updated_at"),
)

story_topics = Table(
    "story_topics",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("topic", Text, nullable=False),
    Column("norm", Text, nullable=False),
    # The story's date, copied with its tags (migration 0008): PostgreSQL lists one topic's stories newest first
    # along ix_story_topics_dated (norm, published_at, story_id), reading only the page's rows.
    Column("published_at", Float),
    PrimaryKeyConstraint("story_id", "norm"),
    Index("ix_story_topics_norm", "norm", "story_id"),
)

# The autocomplete catalog: published stories per topic (name = norm) and per provider (exact name), kept up to
# date by each batch's deltas (``bot/search/catalog.py``); one ``version`` row counts the batches that changed it.
catalog_counts = Table(
    "catalog_counts",
    metadata,
    Column("kind", String, nullable=False),
    Column("name", Text, nullable=False),
    Column("spelling", Text, nullable=False),
    Column("n", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "name"),
)

# The delivery ledger: one row per (story, channel). ``state`` is what still has to happen:
# post/edit/delete are pending actions, sent/deleted/failed/cancelled are settled.
deliveries = Table(
    "deliveries",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("state", String, nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("payload_hash", String, nullable=True),
    # Bumped after a confirmed delete, so a later repost gets a fresh nonce.
    Column("generation", Integer, nullable=False, default=0),
    # Bumped by every change of plan; a worker settles a row only if nobody re-planned it meanwhile.
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
    # Channel kinds (added columns: an older database gets them at open, see ``upgrade.py``).
    Column("thread_id", BigInteger, nullable=True),  # the forum post, or the discussion thread under the message
    Column("webhook_id", BigInteger, nullable=True),  # posted through this webhook: edited and deleted through it
    Column("crossposted", Boolean, nullable=True),  # None: not wanted; False: wanted, not (yet) done
    Column("crosspost_error", Text, nullable=True),
    # When a post was planned (new row or repost), so a route's daily_cap counts today's posts; NULL in rows
    # written before route rules existed (migration 0002 adds the column to such databases).
    Column("planned_at", Float, nullable=True),
    # The cluster member sending this row right now (migration 0003); a dead member's claim is taken over.
    Column("claimed_by", String, nullable=True),
    Column("claimed_at", Float, nullable=True),
    # When Discord confirmed the post (migration 0013): the charts' posts per hour and the queue's depth.
    Column("sent_at", Float, nullable=True),
    PrimaryKeyConstraint("story_id", "channel_id"),
    Index("ix_deliveries_state", "state"),
    Index("ix_deliveries_sent_at", "sent_at"),
    Index("ix_deliveries_channel_planned", "channel_id", "planned_at"),
    # A reaction or reply finds its story by message or thread (migration 0014, bot/signal/).
    Index("ix_deliveries_message_id", "message_id"),
    Index("ix_deliveries_thread_id", "thread_id"),
)

# The Newsdesk webhook the bot created in a channel, reused across restarts. The token is a secret: it lives
# here and in memory only, and is never logged.
channel_webhooks = Table(
    "channel_webhooks",
    metadata,
    Column("channel_id", BigInteger, primary_key=True),
    Column("webhook_id", BigInteger, nullable=False, unique=True),
    Column("token", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

PENDING_STATES = (DeliveryState.POST, DeliveryState.EDIT, DeliveryState.DELETE)

# Which guild each channel the bot posts to belongs to: it decides which shard's process posts there. Filled
# from config ``guild:`` entries, ``/feed add`` routes and one ``GET /channels/{id}`` per other channel, and
# kept, so a restart needs no lookup.
channel_guilds = Table(
    "channel_guilds",
    metadata,
    Column("channel_id", BigInteger, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("checked_at", Float, nullable=False),
)

# One row per running ``newsdesk run`` process (migration 0003). Live = a heartbeat newer than a few ``every``.
cluster_members = Table(
    "cluster_members",
    metadata,
    Column("member_id", String, primary_key=True),
    Column("host", String, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("shard_count", Integer, nullable=False),
    Column("shards_wanted", String, nullable=False),  # "0,2"
    Column("shards_held", String, nullable=False),
    Column("ingest", Boolean, nullable=False),
    Column("standby", Boolean, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("every", Float, nullable=False),
)
