"""SQL of the scheduled weekly report: the servers that opted in, and the claim of each (server, week).

The claim is an insert on the primary key (guild_id, week): true once, false ever after, whichever process or
trigger asks, so a week's report is posted at most once. A send that fails releases its claim, so a later
trigger in the same week may try again. A claim left ``posting`` by a process that died mid-send is taken over by
the next trigger of a live one (PostgreSQL: its claimer's ``cluster_members`` heartbeat expired; SQLite,
``exclusive``: any other member id, since the lock file makes this the only process), which first looks for the
report in the channel before posting it (bot/weekly/runner.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from bot.store import takeover
from bot.store.database import Part
from bot.store.weekly_tables import RUN_DONE, RUN_POSTING, weekly_reports, weekly_runs


@dataclass(frozen=True, slots=True)
class WeekTakeover:
    """A (server, week) claim taken over from a dead claimer: its report may be in ``channel_id`` already."""

    previous: str | None  # the dead claimer's member id
    channel_id: int | None  # where the dead claimer was posting


class WeeklyReports(Part):
    """Async callers run these methods through ``store.run_concurrent``."""

    def set_enabled(self, guild_id: int, enabled: bool, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        stmt = self.backend.insert(weekly_reports).values(guild_id=guild_id, enabled=enabled, changed_at=now)
        with self.db.begin() as conn:
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["guild_id"], set_={"enabled": enabled, "changed_at": now})
            )

    def enabled(self, guild_id: int) -> bool:
        with self.db.connect() as conn:
            found = conn.scalar(select(weekly_reports.c.enabled).where(weekly_reports.c.guild_id == guild_id))
        return bool(found)

    def opted_in(self) -> list[int]:
        """The servers whose admins turned the weekly report on, in id order."""
        r = weekly_reports.c
        with self.db.connect() as conn:
            return [int(g) for g in conn.scalars(select(r.guild_id).where(r.enabled.is_(True)).order_by(r.guild_id))]

    def claim(
        self, guild_id: int, week: str, *, channel_id: int, member_id: str | None = None, now: float | None = None
    ) -> bool:
        """The right to post ``week``'s report of the server: True once per (server, week), False ever after."""
        stmt = self.backend.insert(weekly_runs).on_conflict_do_nothing(index_elements=["guild_id", "week"])
        values = {
            "guild_id": guild_id,
            "week": week,
            "state": RUN_POSTING,
            "claimed_by": member_id,
            "claimed_at": time.time() if now is None else now,
            "channel_id": channel_id,
        }
        with self.db.begin() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
            return conn.execute(stmt.values(**values).returning(weekly_runs.c.week)).first() is not None

    def take_over(
        self,
        guild_id: int,
        week: str,
        member_id: str,
        *,
        exclusive: bool = False,
        now: float | None = None,
    ) -> WeekTakeover | None:
        """Re-claim a (server, week) still ``posting`` under a claimer that is not live any more, for
        ``member_id``; None when it is done, unclaimed, ours, live, or another taker won."""
        w = weekly_runs.c
        row = takeover.take_over(
            self.db,
            weekly_runs,
            [w.guild_id == guild_id, w.week == week],
            [w.claimed_by, w.channel_id],
            member_id,
            exclusive=exclusive,
            now=time.time() if now is None else now,
        )
        return None if row is None else WeekTakeover(row.claimed_by, row.channel_id)

    def finish(self, guild_id: int, week: str, message_id: int, *, channel_id: int | None = None) -> None:
        """Discord confirmed the report's message (in ``channel_id``, when given): the week is done for good."""
        w = weekly_runs.c
        values: dict[str, object] = {"state": RUN_DONE, "message_id": message_id}
        if channel_id is not None:
            values["channel_id"] = channel_id
        with self.db.begin() as conn:
            conn.execute(update(weekly_runs).where(w.guild_id == guild_id, w.week == week).values(**values))

    def release(self, guild_id: int, week: str) -> None:
        """The send failed: give the claim back (only while still posting), so a later trigger may try again."""
        w = weekly_runs.c
        with self.db.begin() as conn:
            conn.execute(delete(weekly_runs).where(w.guild_id == guild_id, w.week == week, w.state == RUN_POSTING))

    def posted(self, guild_id: int, week: str) -> tuple[str, int | None, int | None] | None:
        """(state, channel id, message id) of the server's report of ``week``, or None when never claimed."""
        w = weekly_runs.c
        with self.db.connect() as conn:
            row = conn.execute(
                select(w.state, w.channel_id, w.message_id).where(w.guild_id == guild_id, w.week == week)
            ).first()
        return (str(row.state), row.channel_id, row.message_id) if row else None
