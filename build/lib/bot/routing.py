"""Which channels a story goes to and which roles its post pings: config routes plus routes and topic roles
that admins manage from Discord."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.config import ChannelRoute
from bot.store.newsroom import NewsroomStore
from bot.story import Story


class RouteTable:
    """A snapshot of every route and topic-role binding. Reloaded after each change from Discord; reads are
    plain attribute access, so routing a story costs no database query."""

    def __init__(self, config_routes: Sequence[ChannelRoute]) -> None:
        self._config = tuple(config_routes)
        self._stored: tuple[ChannelRoute, ...] = ()
        self._pings: dict[int, dict[str, int]] = {}

    def load(self, newsroom: NewsroomStore) -> None:
        self._stored = tuple(
            ChannelRoute(
                channel_id=r.channel_id,
                topics=None if r.topics is None else frozenset(t.casefold() for t in r.topics),
                min_quality=r.min_quality,
                guild_id=r.guild_id,
                source="discord",
                labels=r.topics or (),
            )
            for r in newsroom.routes()
        )
        pings: dict[int, dict[str, int]] = {}
        for binding in newsroom.topic_roles():
            pings.setdefault(binding.guild_id, {})[binding.topic.casefold()] = binding.role_id
        self._pings = pings

    @property
    def routes(self) -> tuple[ChannelRoute, ...]:
        return self._config + self._stored

    def channels_for(self, topics: tuple[str, ...], quality: int | None) -> list[int]:
        return list(dict.fromkeys(r.channel_id for r in self.routes if r.matches(topics, quality)))

    def roles_for(
        self, channel_id: int, topics: tuple[str, ...], quality: int | None, guild_id: int | None
    ) -> list[int]:
        """Roles a post mentions: the channel's configured roles, plus the roles bound to the story's topics in
        the channel's server. Nothing else is ever allowed to ping."""
        roles: list[int] = []
        for route in self.routes:
            if route.channel_id == channel_id and route.matches(topics, quality):
                roles += route.role_ids
        bound = self._pings.get(guild_id or 0, {})
        roles += [bound[t.casefold()] for t in topics if t.casefold() in bound]
        return list(dict.fromkeys(roles))

    def guild_of(self, channel_id: int) -> int | None:
        return next((r.guild_id for r in self._stored if r.channel_id == channel_id), None)

    def ping_topics(self, guild_id: int) -> dict[str, int]:
        return dict(self._pings.get(guild_id, {}))


def wanted_by(routes: Sequence[ChannelRoute]) -> Callable[[Story], bool]:
    """Whether any of ``routes`` takes a story."""
    return lambda story: any(route.matches(story.topics, story.quality) for route in routes)
