"""Tables of the scheduled weekly report (migration 0015): which servers opted in, and one claim per report.

``weekly_runs`` holds one row per (server, week): inserting it is the right to post that week's report, so a
restart, a second trigger or another process of a cluster never posts the same week twice. ``guild_id`` 0 is the
deployment's own report (``alerts.weekly_report`` to the config's ``alerts.channel``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, PrimaryKeyConstraint, String, Table

from bot.store.schema import metadata

DEPLOYMENT = 0  # the guild id of the deployment-wide report
RUN_POSTING = "posting"
RUN_DONE = "done"

weekly_reports = Table(
    "weekly_reports",
    metadata,
    Column("guild_id", BigInteger, primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
)

weekly_runs = Table(
    "weekly_runs",
    metadata,
    Column("guild_id", BigInteger, nullable=False),
    Column("week", String, nullable=False),  # the Monday the report is due, "YYYY-MM-DD" in scheduler.timezone
    Column("state", String, nullable=False),  # posting until Discord confirmed the message, then done
    Column("claimed_by", String, nullable=True),
    Column("claimed_at", Float, nullable=False),
    Column("channel_id", BigInteger, nullable=True),
    Column("message_id", BigInteger, nullable=True),
    PrimaryKeyConstraint("guild_id", "week"),
)
