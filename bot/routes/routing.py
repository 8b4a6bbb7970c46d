"""Which channels a story goes to, how its post looks and which roles it pings: config routes plus routes and
topic roles that admins manage from Discord. Every decision goes through ``bot.routes.route_rules.explain``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime

from bot.config import ChannelRoute
from bot.options import OptionError
from bot.routes.planning import OnUnpublish, PostsSince, RouteChoice
from bot.routes.route_rules import (
    Routed,
    RouteRules,
    RuleContext,
    Style,
    Verdict,
    explain,
    heat_pings,
    parse_rules,
)
from bot.store.newsroom import NewsroomStore
from bot.stories.story import Story

log = logging.getLogger(__name__)

DEFAULT_COLOR = 0x2B6CB0
Clock = Callable[[], datetime]


class RouteTable:
    """A snapshot of every route and topic-role binding. Reloaded after each change from Discord; reads are
    plain attribute access, so routing a story costs no database query (daily caps read the ledger's counts,
    handed in as ``posts_since``)."""

    def __init__(
        self,
        config_routes: Sequence[ChannelRoute],
        *,
        timezone: str = "UTC",
        topic_colors: Mapping[str, int] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._config = tuple(config_routes)
        self._stored: tuple[ChannelRoute, ...] = ()
        self._pings: dict[int, dict[str, int]] = {}
        # Config roles that failed the start-up check (bot.role_rules): never mentioned.
        self._withheld: frozenset[int] = frozenset()
        self._timezone = timezone
        self._topic_colors = dict(topic_colors or {})
        self._clock = clock or (lambda: datetime.now(UTC))
        self._config_began: dict[int, float] = {}
        self._stored_began: dict[int, float] = {}

    def load(self, newsroom: NewsroomStore) -> None:
        stored = newsroom.routes()
        self._stored = tuple(
            ChannelRoute(
                channel_id=r.channel_id,
                topics=None if r.topics is None else frozenset(t.casefold() for t in r.topics),
                min_quality=r.min_quality,
                guild_id=r.guild_id,
                source="discord",
                labels=r.topics or (),
                rules=_stored_rules(r.channel_id, r.rules),
            )
            for r in stored
        )
        self._stored_began = {r.channel_id: r.created_at for r in stored if r.created_at is not None}
        self._config_began = newsroom.route_starts()
        pings: dict[int, dict[str, int]] = {}
        for binding in newsroom.topic_roles():
            pings.setdefault(binding.guild_id, {})[binding.topic.casefold()] = binding.role_id
        self._pings = pings

    def withhold_roles(self, role_ids: Collection[int]) -> None:
        self._withheld = frozenset(role_ids)

    @property
    def routes(self) -> tuple[ChannelRoute, ...]:
        return self._config + self._stored

    def context(self, posts_since: PostsSince | None = None, live_since: float | None = None) -> RuleContext:
        """``live_since``: the story is live already (an edit, an explain), so the archive rule applies."""
        return RuleContext(
            now=self._clock(), posts_since=posts_since, timezone=self._timezone, live_since=live_since, began=self.began
        )

    def began(self, route: Routed) -> float | None:
        """When ``route`` began: a /feed route when it was added, a config route when the bot first ran with it."""
        starts = self._stored_began if getattr(route, "source", "config") == "discord" else self._config_began
        return starts.get(route.channel_id)

    def verdicts(
        self, story: Story, context: RuleContext, routes: Sequence[ChannelRoute] | None = None
    ) -> list[tuple[ChannelRoute, Verdict]]:
        """Each route's verdict on a story: ``/feed explain`` and ``newsdesk explain`` show these."""
        return [(route, explain(story, route, context)) for route in (self.routes if routes is None else routes)]

    # -- the planner's Router -------------------------------------------------------------------------------

    def choose(self, story: Story, posts_since: PostsSince | None, live_since: float | None = None) -> RouteChoice:
        context = self.context(posts_since, live_since)
        post: dict[int, None] = {}
        capped: dict[int, None] = {}
        matching: dict[int, None] = {}
        for route, verdict in self.verdicts(story, context):
            if verdict.ok:
                post[route.channel_id] = None
            elif verdict.rule == "daily_cap":
                capped[route.channel_id] = None
            if verdict.ok or explain(story, route, context, admitting=False).ok:
                matching[route.channel_id] = None
        return RouteChoice(tuple(post), tuple(c for c in capped if c not in post), tuple(matching))

    def on_unpublish_for(self, channel_id: int) -> OnUnpublish | None:
        return next((r.rules.on_unpublish for r in self._on(channel_id) if r.rules.on_unpublish), None)

    def routed_channels(self) -> Collection[int]:
        return {r.channel_id for r in self.routes}

    # -- reading ------------------------------------------------------------------------------------------

    def channels_for(self, story: Story) -> list[int]:
        """Where a story goes now, without daily caps (the planner checks those against the ledger)."""
        return list(self.choose(story, None).post)

    def roles_for(self, channel_id: int, story: Story, guild_id: int | None) -> list[int]:
        """Roles a post mentions: the channel's configured roles, plus the roles bound to the story's topics in
        the channel's server, each only if the story is at least as hot as the route's ``ping_min_heat``.
        Nothing else is ever allowed to ping."""
        matching = self._matching(channel_id, story)
        roles: list[int] = []
        for route in matching:
            if heat_pings(story, route.rules):
                roles += [r for r in route.role_ids if r not in self._withheld]
        # Bound roles belong to no one route: they ping when any route of the channel would ping this story.
        if any(heat_pings(story, r.rules) for r in matching or self._on(channel_id)) or not self._on(channel_id):
            bound = self._pings.get(guild_id or 0, {})
            roles += [bound[t.casefold()] for t in story.topics if t.casefold() in bound]
        return list(dict.fromkeys(roles))

    def look_for(self, channel_id: int, story: Story) -> tuple[Style, int]:
        """The post's style and embed colour: the route's ``style``/``color``, else ``topic_colors``."""
        route = next(iter(self._matching(channel_id, story) or self._on(channel_id)), None)
        rules = route.rules if route is not None else RouteRules()
        if rules.color is not None:
            return rules.style, rules.color
        topic = next((t.casefold() for t in story.topics if t.casefold() in self._topic_colors), None)
        return rules.style, self._topic_colors[topic] if topic is not None else DEFAULT_COLOR

    def guild_of(self, channel_id: int) -> int | None:
        return next((r.guild_id for r in self._stored if r.channel_id == channel_id), None)

    def guilds(self) -> dict[int, int]:
        """Channel → server of the routes added from Discord (each recorded its server)."""
        return {r.channel_id: r.guild_id for r in self._stored if r.guild_id is not None}

    def ping_topics(self, guild_id: int) -> dict[str, int]:
        return dict(self._pings.get(guild_id, {}))

    def _on(self, channel_id: int) -> list[ChannelRoute]:
        return [r for r in self.routes if r.channel_id == channel_id]

    def _matching(self, channel_id: int, story: Story) -> list[ChannelRoute]:
        context = self.context()
        return [r for r in self._on(channel_id) if explain(story, r, context, admitting=False).ok]


def wanted_by(routes: Sequence[ChannelRoute], context: RuleContext | None = None) -> Callable[[Story], bool]:
    """Whether any of ``routes`` takes a story as it is (its content; not max_age or caps, which gate new posts)."""
    context = context or RuleContext()
    return lambda story: any(explain(story, route, context, admitting=False).ok for route in routes)


def _stored_rules(channel_id: int, raw: Mapping[str, object]) -> RouteRules:
    try:
        return parse_rules(raw)
    except OptionError as exc:  # validated by /feed add, so only a hand-edited database gets here
        log.warning("Route to channel %s: ignoring its stored rules: %s", channel_id, exc)
        return RouteRules()
