"""The store's part for members' own news: what each member follows, their settings and pause, the servers that
turned following off, and ``forget`` (every row keyed by a member, deleted at once).

Only a member's id is stored, never a name. The DM ledger's planning and sending are ``bot/store/dm_ledger.py``'s;
this part only deletes a member's ledger rows when they ask to be forgotten."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, select, update

from bot.store.database import Part
from bot.store.personal_tables import (
    FollowKind,
    FollowMode,
    dm_deliveries,
    follows,
    member_settings,
    personal_guilds,
)

MEMBER = "member"  # paused_reason: the member pressed Pause
DMS_CLOSED = "dms_closed"  # paused_reason: Discord answered 50007 to a DM
# The member_settings columns a member sets with /follow settings (None clears one back to the default).
SETTING_COLUMNS = ("daily_cap", "digest_time", "digest_days", "timezone", "quiet_start", "quiet_end")


@dataclass(frozen=True, slots=True)
class Follow:
    kind: FollowKind
    norm: str  # the match key
    value: str  # as the member wrote it, shown back to them
    mode: FollowMode
    guild_id: int | None  # the server it was made in; None: in DMs
    created_at: float


class Added(StrEnum):
    NEW = "new"
    MODE_CHANGED = "mode_changed"  # followed already: the mode is now the one asked for
    UNCHANGED = "unchanged"  # followed already, in that mode
    FULL = "full"  # at the limit: nothing stored


@dataclass(frozen=True, slots=True)
class AddResult:
    outcome: Added
    count: int  # the member's follows after the call
    limit: int


@dataclass(frozen=True, slots=True)
class MemberSettings:
    """A member's settings; None is "the default" (the config's daily cap, no digest, the scheduler's zone)."""

    daily_cap: int | None = None
    digest_time: str | None = None
    digest_days: str | None = None
    timezone: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    paused: bool = False
    paused_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What ``forget`` deleted: rows per table."""

    follows: int
    settings: int
    deliveries: int

    @property
    def total(self) -> int:
        return self.follows + self.settings + self.deliveries


class FollowStore(Part):
    """Synchronous; async callers hand these methods to ``store.run_concurrent``."""

    def add(
        self,
        user_id: int,
        kind: FollowKind,
        norm: str,
        value: str,
        mode: FollowMode,
        guild_id: int | None,
        *,
        max_follows: int,
        now: float | None = None,
    ) -> AddResult:
        """Follow ``norm`` (or change the mode of an existing follow); refused past ``max_follows``."""
        now = time.time() if now is None else now
        f = follows.c
        with self.db.begin() as conn:
            # The member's settings row, written first, is the lock that makes the count and the insert one step:
            # two /follow commands at once cannot both take the last free place (PostgreSQL holds the row lock
            # until commit; SQLite has one writer anyway).
            self._touch_member(conn, user_id, now)
            mine = f.user_id == user_id
            current = conn.scalar(select(f.mode).where(mine, f.kind == kind.value, f.norm == norm))
            count = conn.scalar(select(func.count()).select_from(follows).where(mine)) or 0
            if current is not None:
                if current == mode.value:
                    return AddResult(Added.UNCHANGED, count, max_follows)
                conn.execute(update(follows).where(mine, f.kind == kind.value, f.norm == norm).values(mode=mode.value))
                return AddResult(Added.MODE_CHANGED, count, max_follows)
            if count >= max_follows:
                return AddResult(Added.FULL, count, max_follows)
            conn.execute(
                follows.insert().values(
                    user_id=user_id,
                    kind=kind.value,
                    norm=norm,
                    value=value,
                    mode=mode.value,
                    guild_id=guild_id,
                    created_at=now,
                )
            )
            return AddResult(Added.NEW, count + 1, max_follows)

    def remove(self, user_id: int, kind: FollowKind, norm: str) -> Follow | None:
        """Unfollow; the follow that was removed, or None when there was none."""
        f = follows.c
        where = (f.user_id == user_id, f.kind == kind.value, f.norm == norm)
        with self.db.begin() as conn:
            row = conn.execute(select(follows).where(*where)).first()
            if row is None:
                return None
            conn.execute(delete(follows).where(*where))
        return _follow(row._mapping)

    def of(self, user_id: int) -> list[Follow]:
        """A member's follows, oldest first."""
        f = follows.c
        with self.db.connect() as conn:
            rows = conn.execute(select(follows).where(f.user_id == user_id).order_by(f.created_at, f.kind, f.norm))
            return [_follow(row._mapping) for row in rows]

    def settings(self, user_id: int) -> MemberSettings:
        m = member_settings.c
        columns = [getattr(m, name) for name in (*SETTING_COLUMNS, "paused", "paused_reason")]
        with self.db.connect() as conn:
            row = conn.execute(select(*columns).where(m.user_id == user_id)).first()
        return MemberSettings(**row._asdict()) if row is not None else MemberSettings()

    def set_settings(self, user_id: int, changes: Mapping[str, Any], *, now: float | None = None) -> MemberSettings:
        """Write the settings named in ``changes`` (column → value; None clears it), leaving the others."""
        unknown = set(changes) - set(SETTING_COLUMNS)
        if unknown:
            raise ValueError(f"not a member setting: {', '.join(sorted(unknown))}")
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            self._touch_member(conn, user_id, now)
            if changes:
                conn.execute(
                    update(member_settings).where(member_settings.c.user_id == user_id).values(**dict(changes))
                )
        return self.settings(user_id)

    def pause(self, user_id: int, *, now: float | None = None) -> None:
        """The member pressed Pause: nothing is sent to them until they resume."""
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            self._touch_member(conn, user_id, now)
            conn.execute(
                update(member_settings)
                .where(member_settings.c.user_id == user_id)
                .values(paused=True, paused_reason=MEMBER, updated_at=now)
            )

    def resume(self, user_id: int, *, now: float | None = None) -> bool:
        """Resume a pause, the member's own or one Discord's closed DMs caused (the member says they opened
        them again); whether the member was paused."""
        now = time.time() if now is None else now
        m = member_settings.c
        with self.db.one_statement() as conn:
            done = conn.execute(
                update(member_settings)
                .where(m.user_id == user_id, m.paused.is_(True))
                .values(paused=False, paused_reason=None, told_at=None, updated_at=now)
            )
        return bool(done.rowcount)

    def closed_dms_notice(self, user_id: int, *, now: float | None = None) -> bool:
        """True once after a "dms_closed" pause: the member is to be told. The check and the mark are one
        statement, so two commands at the same moment tell it once."""
        now = time.time() if now is None else now
        m = member_settings.c
        with self.db.one_statement() as conn:
            done = conn.execute(
                update(member_settings)
                .where(m.user_id == user_id, m.paused.is_(True), m.paused_reason == DMS_CLOSED, m.told_at.is_(None))
                .values(told_at=now)
            )
        return bool(done.rowcount)

    def forget(self, user_id: int) -> Forgotten:
        """Delete every row keyed by the member (follows, settings, DM ledger) in one transaction."""
        with self.db.begin() as conn:
            gone = [
                conn.execute(delete(table).where(table.c.user_id == user_id)).rowcount
                for table in (follows, member_settings, dm_deliveries)
            ]
        return Forgotten(*gone)

    # -- servers ---------------------------------------------------------------------------------------------

    def guild_enabled(self, guild_id: int, default: bool) -> bool:
        """Whether members may follow in this server: its admins' choice, else ``default`` (personal.enabled)."""
        with self.db.connect() as conn:
            found = conn.scalar(select(personal_guilds.c.enabled).where(personal_guilds.c.guild_id == guild_id))
        return default if found is None else bool(found)

    def set_guild_enabled(self, guild_id: int, enabled: bool, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            stmt = self.backend.insert(personal_guilds).values(guild_id=guild_id, enabled=enabled, changed_at=now)
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["guild_id"], set_={"enabled": enabled, "changed_at": now})
            )

    def _touch_member(self, conn: Connection, user_id: int, now: float) -> None:
        stmt = self.backend.insert(member_settings).values(
            user_id=user_id, paused=False, created_at=now, updated_at=now
        )
        conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_={"updated_at": now}))


def _follow(row: RowMapping) -> Follow:
    return Follow(
        kind=FollowKind(row["kind"]),
        norm=row["norm"],
        value=row["value"],
        mode=FollowMode(row["mode"]),
        guild_id=row["guild_id"],
        created_at=row["created_at"],
    )
