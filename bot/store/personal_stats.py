"""Personal news in figures, for the status report: followers, follows per kind, DMs sent and waiting, paused
members. Counts only: no member id leaves this module."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, distinct, func, select

from bot.store.database import Part
from bot.store.personal_tables import DmState, FollowKind, dm_deliveries, follows, member_settings

PAUSED_DMS_CLOSED = "dms_closed"  # member_settings.paused_reason after Discord's 50007 ("member": the button)


@dataclass(frozen=True, slots=True)
class PersonalFigures:
    followers: int = 0  # members with at least one follow
    follows: dict[str, int] = field(default_factory=dict)  # kind (topic, provider, words) → follows of that kind
    dms_sent: int = 0  # DMs Discord confirmed since the report's start of day
    dms_waiting: int = 0  # DM ledger rows still to go: instant ones (quiet hours, the queue) and digest ones
    paused_dms_closed: int = 0  # paused because Discord said their DMs are closed (50007)
    paused_by_member: int = 0  # paused with the Pause button

    @property
    def empty(self) -> bool:
        return not (
            self.followers or self.dms_sent or self.dms_waiting or self.paused_dms_closed or self.paused_by_member
        )


class PersonalStats(Part):
    """Async callers run these through ``store.run_concurrent`` (the status report does)."""

    def figures(self, since: float, guild_id: int | None = None) -> PersonalFigures:
        """The deployment's figures, or with ``guild_id`` one server's: the follows made in that server, and the
        DMs and pauses of the members who made them (a server never sees another server's follows)."""
        where: list[ColumnElement[bool]] = [] if guild_id is None else [follows.c.guild_id == guild_id]
        members: Select[tuple[int]] = select(distinct(follows.c.user_id)).where(*where)
        with self.db.connect() as conn:
            per_kind = {
                str(kind): int(n)
                for kind, n in conn.execute(select(follows.c.kind, func.count()).where(*where).group_by(follows.c.kind))
            }
            followers = conn.scalar(select(func.count()).select_from(members.subquery())) or 0
            ours = [] if guild_id is None else [dm_deliveries.c.user_id.in_(members)]
            sent = conn.scalar(
                select(func.count())
                .select_from(dm_deliveries)
                .where(dm_deliveries.c.state == DmState.SENT, dm_deliveries.c.sent_at >= since, *ours)
            )
            waiting = conn.scalar(
                select(func.count())
                .select_from(dm_deliveries)
                .where(dm_deliveries.c.state.in_([DmState.POST, DmState.DIGEST]), *ours)
            )
            paused_ours = [] if guild_id is None else [member_settings.c.user_id.in_(members)]
            paused = {
                reason: int(n)
                for reason, n in conn.execute(
                    select(member_settings.c.paused_reason, func.count())
                    .where(member_settings.c.paused.is_(True), *paused_ours)
                    .group_by(member_settings.c.paused_reason)
                )
            }
        return PersonalFigures(
            followers=int(followers),
            follows={kind.value: per_kind.get(kind.value, 0) for kind in FollowKind},
            dms_sent=int(sent or 0),
            dms_waiting=int(waiting or 0),
            paused_dms_closed=paused.get(PAUSED_DMS_CLOSED, 0),
            # A pause with no reason recorded was the member's own (the button); only 50007 records dms_closed.
            paused_by_member=sum(n for reason, n in paused.items() if reason != PAUSED_DMS_CLOSED),
        )
