"""Route merging (config and Discord routes) and which roles a post may mention."""

from __future__ import annotations

from bot.config import parse_config
from bot.render.embeds import build_story_message
from bot.routes.routing import RouteTable, wanted_by
from bot.store.newsroom import NewsroomStore, StoredRoute
from bot.stories.story import Story

GUILD = 10


def story(topics: tuple[str, ...], quality: int | None) -> Story:
    return Story(key="k", title="t", topics=topics, quality=quality, published=True)


def table(newsroom: NewsroomStore) -> RouteTable:
    config = parse_config({"channels": [{"id": 1, "topics": ["AI"], "roles": [77]}, {"id": 2, "min_quality": 50}]})
    routes = RouteTable(config.channels)
    routes.load(newsroom)
    return routes


def test_config_and_discord_routes_both_apply(newsroom: NewsroomStore) -> None:
    newsroom.upsert_route(StoredRoute(3, GUILD, ("Space",), 0), created_by=5)
    routes = table(newsroom)
    assert routes.channels_for(story(("space",), 10)) == [3]
    assert routes.channels_for(story(("AI",), 60)) == [1, 2]
    assert [r.source for r in routes.routes] == ["config", "config", "discord"]
    assert routes.guild_of(3) == GUILD and routes.guild_of(1) is None
    newsroom.upsert_route(StoredRoute(3, GUILD, None, 90), created_by=5)  # same channel: replaced
    routes.load(newsroom)
    assert routes.channels_for(story(("space",), 10)) == [] and routes.channels_for(story(("x",), 95)) == [2, 3]
    assert newsroom.remove_route(3) and not newsroom.remove_route(3)


def test_ping_roles_are_only_the_bound_ones(newsroom: NewsroomStore) -> None:
    newsroom.bind_topic(GUILD, "Space", 500)
    newsroom.bind_topic(GUILD + 1, "Space", 600)  # another server's binding never applies here
    routes = table(newsroom)
    assert routes.roles_for(2, story(("SPACE", "Robots"), 60), GUILD) == [500]
    assert routes.roles_for(1, story(("AI", "space"), 60), GUILD) == [77, 500]
    assert routes.roles_for(2, story(("Robots",), 60), GUILD) == []
    posted = Story(key="k", title="@everyone <@&600> hi", topics=("Space",), quality=60, published=True)
    payload = build_story_message(posted, role_ids=routes.roles_for(2, posted, GUILD))
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["500"], "replied_user": False}
    assert payload["content"] == "<@&500>"
    newsroom.unbind_topic(GUILD, "space")
    routes.load(newsroom)
    assert routes.roles_for(2, story(("Space",), 60), GUILD) == []


def test_wanted_by_takes_a_story_any_route_takes(newsroom: NewsroomStore) -> None:
    wanted = wanted_by(table(newsroom).routes)
    assert wanted(Story(key="a", title="a", topics=("ai",), quality=10, published=True))  # channel 1 takes AI
    assert wanted(
        Story(key="b", title="b", topics=("Cooking",), quality=60, published=True)
    )  # channel 2 takes quality 50+
    assert not wanted(Story(key="c", title="c", topics=("Cooking",), quality=10, published=True))
