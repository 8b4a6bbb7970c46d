"""What /feed answers: route lines and the /feed list embed."""

from __future__ import annotations

from bot.config import ChannelRoute
from bot.render.feed_replies import describe_route, routes_embed

ZWSP = "\u200b"


def test_route_lines_name_channel_topics_quality_and_source() -> None:
    every = ChannelRoute(1)
    assert describe_route(every) == "<#1> ← every topic *(config file)*"
    chosen = ChannelRoute(2, frozenset({"ai", "climate"}), 40, source="discord", labels=("AI", "Climate"))
    assert describe_route(chosen) == "<#2> ← AI, Climate, quality ≥ 40"
    unlabelled = ChannelRoute(3, frozenset({"space", "ai"}), source="discord")
    assert describe_route(unlabelled) == "<#3> ← ai, space"


def test_route_topics_cannot_ping() -> None:
    route = ChannelRoute(4, frozenset({"@everyone"}), source="discord", labels=("@everyone",))
    assert describe_route(route) == f"<#4> ← @{ZWSP}everyone"


def test_routes_embed_lists_routes_and_pings_within_limits() -> None:
    embed = routes_embed([ChannelRoute(1)], {"space": 9, "ai": 7})
    assert embed["title"] == "Feed routes"
    assert embed["description"] == "• <#1> ← every topic *(config file)*"
    assert embed["fields"] == [{"name": "Topic pings", "value": "ai → <@&7>\nspace → <@&9>"}]
    empty = routes_embed([], {})
    assert (
        empty["description"] == "• No routes yet: add one with `/feed add`." and empty["fields"][0]["value"] == "None"
    )
    many = routes_embed(
        [ChannelRoute(n, frozenset({"x" * 90})) for n in range(100)], {f"t{n}" * 40: n for n in range(99)}
    )
    assert len(many["description"]) <= 4000 and len(many["fields"][0]["value"]) <= 1024
