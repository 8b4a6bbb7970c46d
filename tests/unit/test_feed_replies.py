"""What /feed answers: route lines, the /feed list embed, and explain on a held story (also ``newsdesk explain``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ChannelRoute
from bot.render.feed_replies import describe_route, explain_embed, held_until, routes_embed
from bot.routes.route_rules import Verdict
from bot.stories.story import Story

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


# -- explain on a story dated in the future: held until then (articles.embargo) ---------------------------------

RELEASE = datetime(2031, 11, 24, 8, 15, tzinfo=UTC)
HELD_STORY = """---
title: Merger announced
publishedDateTime: 2031-11-24T08:15:00Z
published: true
---
"""


def dated(when: datetime) -> Story:
    return Story(key="k", title="Merger announced", published_at=when)


def test_a_story_dated_later_is_held_until_its_date_only_under_embargo() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC).timestamp()
    assert held_until(dated(RELEASE), embargo=True, now=now) == RELEASE.timestamp()
    assert held_until(dated(RELEASE), embargo=False, now=now) is None, "embargo: false posts it at once"
    assert held_until(dated(RELEASE), embargo=True, now=RELEASE.timestamp() + 1) is None, "its date has come"
    assert held_until(Story(key="k", title="Undated"), embargo=True, now=now) is None


def test_feed_explain_says_a_held_story_goes_at_its_date() -> None:
    taken = Verdict(ok=True)
    stopped = Verdict(ok=False, reason="excluded word: crypto")
    routes = [(ChannelRoute(1), taken), (ChannelRoute(2), stopped)]
    embed = explain_embed("Merger announced", routes, held=RELEASE.timestamp())
    stamp = f"<t:{int(RELEASE.timestamp())}:F>"
    assert embed["description"] == f"⏳ <#1>: held until {stamp}, then posted there\n❌ <#2>: excluded word: crypto"
    assert explain_embed("Merger announced", routes)["description"].startswith("✅ <#1>: posted there\n")


def test_newsdesk_explain_says_a_future_dated_story_is_held_until_its_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    config = tmp_path / "newsdesk.yaml"
    config.write_text("storage: {url: sqlite:///db/n.db}\nchannels:\n  - {id: 1, name: news}\n", encoding="utf-8")
    story_file = tmp_path / "held.md"
    story_file.write_text(HELD_STORY, encoding="utf-8")
    assert main(["--config", str(config), "explain", str(story_file)]) == 0
    out = capsys.readouterr().out
    assert "channels[0] (news, channel 1): held until 2031-11-24 08:15 UTC (embargo), then posted" in out
    config.write_text(config.read_text(encoding="utf-8") + "articles: {embargo: false}\n", encoding="utf-8")
    assert main(["--config", str(config), "explain", str(story_file)]) == 0
    assert "channels[0] (news, channel 1): posted\n" in capsys.readouterr().out
