"""SQL for the newsroom settings managed from Discord: routes, topic roles, alert channels, alert throttling,
and the read-only queries behind the status report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, delete, func, select

from bot.search.titles import story_titles
from bot.store.database import Part
from bot.store.newsroom_tables import alerts_sent, feed_routes, guild_settings, route_starts, topic_roles
from bot.store.records import DeliveryState
from bot.store.schema import PENDING_STATES, deliveries, stories
from bot.stories.story import Story

# A channel does not have a story whose delivery failed or was cancelled (or that it never had).
_NOT_DELIVERED = (None, DeliveryState.FAILED, DeliveryState.CANCELLED)


@dataclass(frozen=True, slots=True)
class StoredRoute:
    channel_id: int
    guild_id: int
    topics: tuple[str, ...] | None  # None = every topic
    min_quality: int
    rules: Mapping[str, Any] = field(default_factory=dict)  # /feed add's rule options as given, validated
    created_at: float | None = None  # when /feed add first made it: the route begins then (its archive is older)


@dataclass(frozen=True, slots=True)
class TopicRole:
    guild_id: int
    topic: str
    role_id: int


@dataclass(frozen=True, slots=True)
class FeedCandidate:
    """A published story that could be posted to a channel on request (/feed test, /feed backfill)."""

    story_id: int
    story: Story
    delivered: bool  # the channel already has it (or has it queued)


@dataclass(frozen=True, slots=True)
class ChannelActivity:
    channel_id: int
    pending: int
    sent: int
    failed_24h: int
    last_post_at: float | None
    last_error: str | None
    capped: int = 0  # stories kept out by the route's daily_cap


class NewsroomStore(Part):
    """Routes, topic roles and alerts managed from Discord. Async callers run these through ``store.run_concurrent``."""

    # -- routes -------------------------------------------------------------------------------------------

    def routes(self) -> list[StoredRoute]:
        with self.db.connect() as conn:
            rows = conn.execute(select(feed_routes).order_by(feed_routes.c.created_at))
            return [
                StoredRoute(
                    r.channel_id,
                    r.guild_id,
                    None if r.topics == "*" else tuple(json.loads(r.topics)),
                    r.min_quality,
                    json.loads(r.rules) if r.rules else {},
                    r.created_at,
                )
                for r in rows
            ]

    def upsert_route(self, route: StoredRoute, created_by: int | None) -> None:
        values = {
            "guild_id": route.guild_id,
            "topics": "*" if route.topics is None else json.dumps(list(route.topics)),
            "min_quality": route.min_quality,
            "rules": json.dumps(dict(route.rules)) if route.rules else None,
            "created_by": created_by,
            "created_at": time.time(),
        }
        stmt = self.backend.insert(feed_routes).values(channel_id=route.channel_id, **values)
        # Changing a route keeps the moment it began: what was its archive stays its archive.
        changed = {k: v for k, v in values.items() if k not in ("created_at", "created_by")}
        with self.db.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["channel_id"], set_=changed))

    def route_starts(self) -> dict[int, float]:
        """When each config route began (channel id -> Unix time)."""
        with self.db.connect() as conn:
            return {r.channel_id: r.began_at for r in conn.execute(select(route_starts))}

    def start_routes(self, channel_ids: Iterable[int], at: float) -> None:
        """Record that the config routes to ``channel_ids`` begin at ``at``, unless they began before."""
        rows = [{"channel_id": c, "began_at": at} for c in dict.fromkeys(channel_ids)]
        if rows:
            with self.db.begin() as conn:
                conn.execute(self.backend.insert(route_starts).on_conflict_do_nothing(), rows)

    def remove_route(self, channel_id: int) -> bool:
        with self.db.begin() as conn:
            return conn.execute(delete(feed_routes).where(feed_routes.c.channel_id == channel_id)).rowcount > 0

    # -- topic roles --------------------------------------------------------------------------------------

    def topic_roles(self, guild_id: int | None = None) -> list[TopicRole]:
        query = select(topic_roles).order_by(topic_roles.c.norm)
        if guild_id is not None:
            query = query.where(topic_roles.c.guild_id == guild_id)
        with self.db.connect() as conn:
            return [TopicRole(r.guild_id, r.topic, r.role_id) for r in conn.execute(query)]

    def bind_topic(self, guild_id: int, topic: str, role_id: int) -> None:
        values = {"topic": topic, "role_id": role_id}
        stmt = self.backend.insert(topic_roles).values(guild_id=guild_id, norm=topic.casefold(), **values)
        with self.db.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["guild_id", "norm"], set_=values))

    def unbind_topic(self, guild_id: int, topic: str) -> bool:
        with self.db.begin() as conn:
            result = conn.execute(
                delete(topic_roles).where(topic_roles.c.guild_id == guild_id, topic_roles.c.norm == topic.casefold())
            )
            return result.rowcount > 0

    # -- alerts -------------------------------------------------------------------------------------------

    def alert_channels(self) -> dict[int, int]:
        """guild id -> alerts channel id, as set with /newsdesk alerts."""
        with self.db.connect() as conn:
            rows = conn.execute(select(guild_settings).where(guild_settings.c.alerts_channel_id.is_not(None)))
            return {r.guild_id: r.alerts_channel_id for r in rows}

    def set_alert_channel(self, guild_id: int, channel_id: int | None) -> None:
        stmt = self.backend.insert(guild_settings).values(guild_id=guild_id, alerts_channel_id=channel_id)
        with self.db.begin() as conn:
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["guild_id"], set_={"alerts_channel_id": channel_id})
            )

    def claim_alert(self, key: str, *, every: float, now: float | None = None) -> bool:
        """True if problem ``key`` was not reported within ``every`` seconds; records this report if so."""
        now = time.time() if now is None else now
        with self.db.begin() as conn:
            last = conn.scalar(select(alerts_sent.c.sent_at).where(alerts_sent.c.key == key))
            if last is not None and now - last < every:
                conn.execute(
                    alerts_sent.update().where(alerts_sent.c.key == key).values(suppressed=alerts_sent.c.suppressed + 1)
                )
                return False
            stmt = self.backend.insert(alerts_sent).values(key=key, sent_at=now, suppressed=0)
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"sent_at": now, "suppressed": 0}))
            return True

    # -- posting on request -------------------------------------------------------------------------------

    def candidates(
        self,
        channel_id: int,
        wanted: Callable[[Story], bool],
        *,
        since: float | None,
        limit: int,
        until: float | None = None,
    ) -> list[FeedCandidate]:
        """Newest published stories the channel's routes want (published after ``since`` and, under embargo, by
        ``until``), up to ``limit``."""
        query = (
            select(stories.c.id, stories.c.data, deliveries.c.state)
            .outerjoin(deliveries, (deliveries.c.story_id == stories.c.id) & (deliveries.c.channel_id == channel_id))
            .where(stories.c.present.is_(True), stories.c.published.is_(True))
            .order_by(stories.c.published_at.desc().nulls_last(), stories.c.id.desc())
        )
        if since is not None:
            query = query.where(stories.c.published_at >= since)
        if until is not None:
            query = query.where(func.coalesce(stories.c.published_at, 0) <= until)
        found: list[FeedCandidate] = []
        with self.db.connect() as conn:
            # Topic filters are applied on the decoded story; the window keeps this scan short.
            for row in conn.execute(query.limit(max(limit * 50, 500))):
                story = Story.from_dict(json.loads(row.data))
                if wanted(story):
                    found.append(FeedCandidate(row.id, story, row.state not in _NOT_DELIVERED))
                    if len(found) >= limit:
                        break
        return found

    # -- explaining ------------------------------------------------------------------------------------------

    def story_titles(self, typed: str, limit: int = 25) -> list[tuple[int, str]]:
        """``/feed explain`` autocomplete: (id, title) of present stories (published or not: "not published" is an
        answer too) with the typed words, from the full-text index (``bot.search.titles``)."""
        with self.db.connect() as conn:
            return story_titles(conn, typed, limit)

    def story(self, story_id: int) -> Story | None:
        with self.db.connect() as conn:
            data = conn.scalar(select(stories.c.data).where(stories.c.id == story_id, stories.c.present.is_(True)))
        return Story.from_dict(json.loads(data)) if data else None

    def find_story(self, text: str) -> tuple[int, Story] | None:
        """A story by id (what autocomplete sends) or, failing that, by exact title (what a member may type)."""
        story_id = int(text) if text.strip().isdigit() else None
        with self.db.connect() as conn:
            where = stories.c.id == story_id if story_id is not None else stories.c.title == text.strip()
            row = conn.execute(
                select(stories.c.id, stories.c.data).where(where, stories.c.present.is_(True)).limit(1)
            ).first()
        return (row.id, Story.from_dict(json.loads(row.data))) if row else None

    # -- status -------------------------------------------------------------------------------------------

    def channel_activity(self, now: float | None = None) -> list[ChannelActivity]:
        now = time.time() if now is None else now
        d = deliveries.c
        with self.db.connect() as conn:
            rows = conn.execute(
                select(
                    d.channel_id,
                    func.sum(_count(d.state.in_(PENDING_STATES))),
                    func.sum(_count(d.state == DeliveryState.SENT)),
                    func.sum(_count((d.state == DeliveryState.FAILED) & (d.updated_at >= now - 86400))),
                    func.max(case((d.state == DeliveryState.SENT, d.updated_at))),
                    func.sum(_count(d.state == DeliveryState.CAPPED)),
                )
                .group_by(d.channel_id)
                .order_by(d.channel_id)
            ).all()
            # Oldest first, so each channel keeps its latest error.
            errors: dict[int, str] = {
                channel: error
                for channel, error in conn.execute(
                    select(d.channel_id, d.last_error)
                    .where(d.last_error.is_not(None), d.updated_at >= now - 86400)
                    .order_by(d.updated_at)
                )
            }
        return [
            ChannelActivity(
                r[0], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0), r[4], errors.get(r[0]), int(r[5] or 0)
            )
            for r in rows
        ]

    def recent_failures(self, since: float, limit: int = 5) -> tuple[int, list[tuple[int, str, str]]]:
        """(count, [(channel, story title, error)]) of deliveries that failed since ``since``."""
        where = (deliveries.c.state == DeliveryState.FAILED) & (deliveries.c.updated_at >= since)
        with self.db.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(deliveries).where(where)) or 0
            rows = conn.execute(
                select(deliveries.c.channel_id, stories.c.title, deliveries.c.last_error)
                .join(stories, stories.c.id == deliveries.c.story_id)
                .where(where)
                .order_by(deliveries.c.updated_at.desc())
                .limit(limit)
            ).all()
        return count, [(r[0], r[1], r[2] or "") for r in rows]


def _count(condition: Any) -> Any:
    return case((condition, 1), else_=0)
