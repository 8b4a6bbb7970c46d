"""Digest SQL: the digests admins declared, their run log, and which stories each one already delivered."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, exists, false, func, insert, inspect, or_, select, true

from bot.digest.ranking import DigestCandidate
from bot.digest_schedule import Schedule
from bot.digest_spec import RANK_DEFAULT, DigestSpec
from bot.store.database import Database, Part
from bot.store.digest_claims import DigestRunKeys, finish
from bot.store.digest_tables import CONFIG_GUILD, JOBS_TABLE, digest_items, digest_runs, digests
from bot.store.meta_keys import MetaKey
from bot.store.records import DeliveryState
from bot.store.schema import deliveries, meta, stories, story_topics
from bot.stories.story import Story


class RunStatus(StrEnum):
    """How a digest run ended; stored in ``digest_runs.status`` as these strings."""

    SENT = "sent"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"  # fewer new stories than min_items
    MISSING = "missing"  # the digest was removed before it ran; never stored
    DUPLICATE = "duplicate"  # this run (its run key) was already claimed, by this process or another; never stored


# Only a run that delivered everything closes its window; after a partial one the rest is still due.
COUNTED_STATUSES = (RunStatus.SENT,)


@dataclass(frozen=True, slots=True)
class DigestRow:
    id: int
    guild_id: int  # CONFIG_GUILD for digests declared in the config file
    spec: DigestSpec

    @property
    def from_config(self) -> bool:
        return self.guild_id == CONFIG_GUILD


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    digest_id: int
    started_at: float
    window_start: float
    window_end: float
    status: RunStatus
    story_count: int
    message_ids: tuple[int, ...]
    error: str | None


class DigestStore(Part):
    """Digests, their runs and items. Async callers run these through ``store.run_concurrent``."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.keys = DigestRunKeys(db)

    # -- declarations ---------------------------------------------------------------------------------------

    def save(self, guild_id: int, spec: DigestSpec, now: float | None = None) -> DigestRow:
        """Create the digest, or replace the one with the same name; a replaced digest keeps its id and history."""
        with self.db.begin() as conn:
            self._upsert(conn, guild_id, spec, time.time() if now is None else now)
            row = conn.execute(select(digests).where(digests.c.guild_id == guild_id, digests.c.name == spec.name)).one()
            return _digest(row)

    def sync_config(self, specs: Sequence[DigestSpec], now: float | None = None) -> list[DigestRow]:
        """Make the config-file digests in the table match ``specs`` exactly."""
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            for spec in specs:
                self._upsert(conn, CONFIG_GUILD, spec, now)
            conn.execute(
                delete(digests).where(
                    digests.c.guild_id == CONFIG_GUILD, digests.c.name.not_in([s.name for s in specs])
                )
            )
            rows = conn.execute(select(digests).where(digests.c.guild_id == CONFIG_GUILD).order_by(digests.c.name))
            return [_digest(r) for r in rows]

    def _upsert(self, conn: Connection, guild_id: int, spec: DigestSpec, now: float) -> None:
        values = {
            "channel_id": spec.channel_id,
            "cron": spec.schedule.cron,
            "timezone": spec.schedule.timezone,
            "label": spec.schedule.label,
            "topics": json.dumps(list(spec.topics), ensure_ascii=False),
            "min_quality": spec.min_quality,
            "max_items": spec.max_items,
            "min_items": spec.min_items,
            "rank": spec.rank if spec.discussed else None,  # NULL: the default order, as before the column
            "updated_at": now,
        }
        stmt = self.backend.insert(digests).values(guild_id=guild_id, name=spec.name, created_at=now, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["guild_id", "name"], set_=values))

    def get(self, digest_id: int) -> DigestRow | None:
        with self.db.connect() as conn:
            row = conn.execute(select(digests).where(digests.c.id == digest_id)).first()
            return _digest(row) if row else None

    def all(self) -> list[DigestRow]:
        with self.db.connect() as conn:
            return [_digest(r) for r in conn.execute(select(digests).order_by(digests.c.name, digests.c.id))]

    def next_run_times(self) -> dict[str, float | None]:
        """Job id -> next run (epoch) from APScheduler's job tables (``apscheduler_jobs`` and, when the bot runs
        as shard processes, each one's ``apscheduler_jobs_<shards>``), for reports outside the running bot."""
        found: dict[str, float | None] = {}
        with self.db.connect() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t == JOBS_TABLE or t.startswith(JOBS_TABLE + "_")]
            for table in sorted(tables):
                rows = conn.exec_driver_sql(f"SELECT id, next_run_time FROM {table}")  # names from the catalogue
                found.update((str(job_id), next_run) for job_id, next_run in rows)
        return found

    def remove(self, digest_id: int) -> bool:
        with self.db.begin() as conn:
            return conn.execute(delete(digests).where(digests.c.id == digest_id)).rowcount > 0

    # -- windows and candidates -----------------------------------------------------------------------------

    def last_window_end(self, digest_id: int) -> float | None:
        with self.db.connect() as conn:
            return conn.scalar(
                select(func.max(digest_runs.c.window_end)).where(
                    digest_runs.c.digest_id == digest_id, digest_runs.c.status.in_(COUNTED_STATUSES)
                )
            )

    def baseline(self) -> float | None:
        """When the first index finished: stories first seen by then were the archive, not news."""
        with self.db.connect() as conn:
            value = conn.scalar(select(meta.c.value).where(meta.c.key == MetaKey.INITIALIZED))
        return float(value) if value else None

    def candidates(
        self, digest_id: int, spec: DigestSpec, since: float, baseline: float | None, until: float | None = None
    ) -> list[DigestCandidate]:
        """Published stories matching the filters that this digest never delivered and that are new since ``since``.

        New means published since then (``publishedDateTime``) or first indexed since then, so a story whose
        file arrives late with an old date is not lost. Stories indexed by the very first run (the archive
        present before the bot was) count only by their publication date.
        """
        first_seen_new = (
            and_(stories.c.first_seen >= since, stories.c.first_seen > baseline) if baseline is not None else false()
        )
        wanted = [func.coalesce(stories.c.quality, 0) >= spec.min_quality]
        if spec.topics:
            wanted.append(
                stories.c.id.in_(select(story_topics.c.story_id).where(story_topics.c.norm.in_(spec.topic_keys)))
            )
        # A story its channel's route kept out over the daily cap goes to that channel's digest instead.
        capped_here = exists().where(
            deliveries.c.story_id == stories.c.id,
            deliveries.c.channel_id == spec.channel_id,
            deliveries.c.state == DeliveryState.CAPPED,
        )
        query = select(
            stories.c.id, stories.c.quality, stories.c.heat, stories.c.published_at, stories.c.first_seen
        ).where(
            # Under embargo (``until``), a story dated later is not out yet: a later run's window takes it.
            true() if until is None else func.coalesce(stories.c.published_at, 0) <= until,
            stories.c.present.is_(True),
            stories.c.published.is_(True),
            or_(and_(*wanted), capped_here),
            or_(stories.c.published_at >= since, first_seen_new),
            ~exists().where(digest_items.c.digest_id == digest_id, digest_items.c.story_id == stories.c.id),
        )
        with self.db.connect() as conn:
            return [DigestCandidate(r.id, r.quality, r.heat, r.published_at, r.first_seen) for r in conn.execute(query)]

    def load_stories(self, story_ids: Iterable[int]) -> dict[int, Story]:
        ids = list(story_ids)
        with self.db.connect() as conn:
            rows = conn.execute(select(stories.c.id, stories.c.data).where(stories.c.id.in_(ids)))
            return {r.id: Story.from_dict(json.loads(r.data)) for r in rows}

    # -- runs -----------------------------------------------------------------------------------------------

    def claim_run(
        self,
        digest_id: int,
        run_key: str,
        now: float | None = None,
        *,
        member_id: str | None = None,
        plan: str | None = None,
    ) -> bool:
        """Take the right to post run ``run_key`` of the digest once (bot/store/digest_claims.py)."""
        return self.keys.claim(digest_id, run_key, member_id=member_id, plan=plan, now=now)

    def record_run(
        self,
        digest_id: int,
        *,
        started_at: float,
        window_start: float,
        window_end: float,
        status: RunStatus,
        delivered: Sequence[tuple[int, Sequence[int]]] = (),
        error: str | None = None,
        run_key: str | None = None,
    ) -> int:
        """Log a run and, in the same transaction, the stories of each confirmed (message id, story ids) and the
        end of its run key's claim (``run_key``: nobody resumes it any more)."""
        items = [(mid, sid) for mid, ids in delivered for sid in ids]
        with self.db.begin() as conn:
            if conn.scalar(select(digests.c.id).where(digests.c.id == digest_id)) is None:
                return 0  # removed while it ran: nothing left to record against
            if run_key is not None:
                finish(conn, digest_id, run_key)
            inserted = conn.execute(
                insert(digest_runs).values(
                    digest_id=digest_id,
                    started_at=started_at,
                    window_start=window_start,
                    window_end=window_end,
                    status=status,
                    story_count=len(items),
                    message_ids=json.dumps([mid for mid, _ in delivered]),
                    error=error[:500] if error else None,
                )
            ).inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            run_id = inserted[0]
            if items:
                stmt = self.backend.insert(digest_items).on_conflict_do_nothing(
                    index_elements=["digest_id", "story_id"]
                )
                conn.execute(
                    stmt,
                    [{"digest_id": digest_id, "story_id": s, "run_id": run_id, "message_id": m} for m, s in items],
                )
            return int(run_id)

    def runs(self, digest_id: int) -> list[RunRow]:
        with self.db.connect() as conn:
            rows = conn.execute(
                select(digest_runs).where(digest_runs.c.digest_id == digest_id).order_by(digest_runs.c.id)
            )
            return [
                RunRow(
                    r.id,
                    r.digest_id,
                    r.started_at,
                    r.window_start,
                    r.window_end,
                    RunStatus(r.status),
                    r.story_count,
                    tuple(json.loads(r.message_ids)),
                    r.error,
                )
                for r in rows
            ]

    def delivered(self, digest_id: int) -> set[int]:
        with self.db.connect() as conn:
            return set(conn.scalars(select(digest_items.c.story_id).where(digest_items.c.digest_id == digest_id)))


def _digest(r: Row[Any]) -> DigestRow:
    spec = DigestSpec(
        name=r.name,
        channel_id=r.channel_id,
        schedule=Schedule(r.cron, r.timezone, r.label),
        topics=tuple(json.loads(r.topics)),
        min_quality=r.min_quality,
        max_items=r.max_items,
        min_items=r.min_items,
        rank=r.rank or RANK_DEFAULT,
    )
    return DigestRow(r.id, r.guild_id, spec)
