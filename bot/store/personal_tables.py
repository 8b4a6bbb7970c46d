"""Tables for personal news (migration 0012): members' follows and settings, and the DM ledger.

Only a member's id is stored, never a name; ``/follow forget`` deletes every row keyed by it."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from bot.store.schema import metadata


class FollowKind(StrEnum):
    TOPIC = "topic"
    PROVIDER = "provider"
    WORDS = "words"


class FollowMode(StrEnum):
    INSTANT = "instant"  # a DM as soon as the story is live (within the daily cap, outside quiet hours)
    DIGEST = "digest"  # in the member's personal digest


class DmState(StrEnum):
    """A DM ledger row's next action or its settled outcome. Stored as these strings."""

    POST = "post"  # an instant DM to send (``due_at``: not before then, e.g. the end of quiet hours)
    DIGEST = "digest"  # waits for the member's next personal digest
    SENT = "sent"  # Discord confirmed the DM (alone, in a quiet-hours bundle, or in a digest)
    CAPPED = "capped"  # over the daily cap with no digest: counted in that day's "N more stories today" line
    FAILED = "failed"  # Discord refused it for good (the error is in ``last_error``)
    CANCELLED = "cancelled"  # the story was unpublished or deleted before it went out, or the member paused


# What a member follows: ``norm`` is the match key (casefolded topic or provider, normalised words), ``value`` the
# spelling shown back to the member.
follows = Table(
    "follows",
    metadata,
    Column("user_id", BigInteger, nullable=False),
    Column("kind", String, nullable=False),
    Column("norm", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("mode", String, nullable=False),
    Column("guild_id", BigInteger, nullable=True),  # the server it was made in; None: in DMs (a user install)
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("user_id", "kind", "norm"),
    Index("ix_follows_kind_norm", "kind", "norm"),
)

# One row per member who set anything or was sent anything; NULL settings mean the defaults.
member_settings = Table(
    "member_settings",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("daily_cap", Integer, nullable=True),
    Column("digest_time", String, nullable=True),  # "08:00"; NULL: no personal digest
    Column("digest_days", String, nullable=True),  # as /digest's days: "daily", "weekdays", "mon,thu"
    Column("timezone", String, nullable=True),  # IANA name; NULL: the scheduler's default
    Column("quiet_start", String, nullable=True),  # "22:00"
    Column("quiet_end", String, nullable=True),  # "07:00"
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_reason", String, nullable=True),  # "member" (Pause button) or "dms_closed" (Discord's 50007)
    Column("told_at", Float, nullable=True),  # when the member was told their DMs are closed (told once)
    Column("dm_channel_id", BigInteger, nullable=True),  # POST /users/@me/channels' answer, opened once
    Column("last_digest_at", Float, nullable=True),  # the last personal digest run (caught up once after a gap)
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# The DM ledger: one row per (story, member), claimed and settled like ``deliveries`` (exactly once per member).
dm_deliveries = Table(
    "dm_deliveries",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("state", String, nullable=False),
    Column("reason", Text, nullable=False),  # the follow that matched, as shown: "AI" → "You follow AI"
    Column("planned_at", Float, nullable=False),
    Column("due_at", Float, nullable=True),  # not before (quiet hours); NULL: at once
    Column("message_id", BigInteger, nullable=True),
    Column("sent_at", Float, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("version", Integer, nullable=False, default=0),
    Column("claimed_by", String, nullable=True),
    Column("claimed_at", Float, nullable=True),
    PrimaryKeyConstraint("story_id", "user_id"),
    Index("ix_dm_deliveries_state", "state", "due_at"),
    Index("ix_dm_deliveries_user", "user_id", "planned_at"),
)

# Servers whose admins turned following off (enabled false) or on again with /newsdesk personal; no row: the
# config's personal.enabled.
personal_guilds = Table(
    "personal_guilds",
    metadata,
    Column("guild_id", BigInteger, primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
)
