"""Digest tables, on the shared ``metadata`` so ``Store.open`` creates them with the rest.

APScheduler keeps its own ``apscheduler_jobs`` table (job id = ``str(digests.id)``); these tables are the
source of truth that the jobs are rebuilt from.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.store.schema import metadata

# APScheduler's own table (Store.job_store); its job ids are str(digests.id).
JOBS_TABLE = "apscheduler_jobs"
CONFIG_GUILD = 0  # guild_id of digests declared in the config file; their guild is their channel's

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("name", String, nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("cron", String, nullable=False),
    Column("timezone", String, nullable=False),
    Column("label", String, nullable=False),
    Column("topics", Text, nullable=False, default="[]"),  # JSON list as the admin wrote them; [] = all
    Column("min_quality", Integer, nullable=False, default=0),
    Column("max_items", Integer, nullable=False, default=10),
    Column("min_items", Integer, nullable=False, default=1),
    Column("rank", String, nullable=True),  # NULL: quality and heat; "discussed": the community's signal (0013)
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("guild_id", "name", name="uq_digests_guild_name"),
)

# One row per attempt: sent (all messages confirmed), partial (some), failed (none), skipped (min_items).
# The next window starts where the last sent run's window ended.
digest_runs = Table(
    "digest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("window_start", Float, nullable=False),
    Column("window_end", Float, nullable=False),
    Column("status", String, nullable=False),
    Column("story_count", Integer, nullable=False, default=0),
    Column("message_ids", Text, nullable=False, default="[]"),  # JSON list, in posting order
    Column("error", Text, nullable=True),
    Index("ix_digest_runs_digest", "digest_id", "window_end"),
)

# Every story a digest has delivered: the primary key is what keeps a story out of a second run.
digest_items = Table(
    "digest_items",
    metadata,
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", Integer, ForeignKey("digest_runs.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", BigInteger, nullable=True),
    PrimaryKeyConstraint("digest_id", "story_id"),
)

# One row per digest run that was allowed to post: the primary key is what makes a second post of the same run
# impossible, whichever processes fire it. A scheduled run's key is its scheduled time, a manual run's is unique
# per invocation. While a run posts, its row is ``posting`` with its claimer and the exact messages (``plan``,
# JSON); the run's record turns it ``done``. A ``posting`` row whose claimer died is resumed by another process
# (or the next life of a SQLite bot): it adopts the messages already in the channel and posts only the rest.
RUN_POSTING, RUN_DONE = "posting", "done"
digest_run_keys = Table(
    "digest_run_keys",
    metadata,
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    Column("run_key", String, nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("claimed_by", String, nullable=True),  # cluster_members.member_id of the claimer
    Column("state", String, nullable=False, server_default=RUN_DONE),
    Column("plan", Text, nullable=True),  # JSON: window, start time and message payloads; NULL once done
    PrimaryKeyConstraint("digest_id", "run_key"),
)
