"""What ``/feed`` answers, as plain text and embed dicts (Discord markup, but no discord.py), so it is unit-tested."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.render.embeds import FIELD_VALUE_LIMIT
from bot.render.text import clean_line, discord_timestamp, truncate

if TYPE_CHECKING:
    from bot.config import ChannelRoute
    from bot.routes.route_rules import Verdict
    from bot.stories.story import Story

ROUTES_LIMIT = 4000  # an embed description holds 4096


def describe_route(route: ChannelRoute) -> str:
    """``<#channel> ← AI, Climate, quality ≥ 40; exclude_words crypto; max_age 48h *(config file)*``."""
    topics = "every topic" if route.topics is None else ", ".join(route.labels or sorted(route.topics))
    quality = f", quality ≥ {route.min_quality}" if route.min_quality else ""
    rules = "".join(f"; {clean_line(rule)}" for rule in route.rules.describe())
    source = " *(config file)*" if route.source == "config" else ""
    return f"<#{route.channel_id}> ← {clean_line(topics)}{quality}{rules}{source}"


def held_until(story: Story, *, embargo: bool, now: float) -> float | None:
    """When a story dated in the future goes out under ``articles.embargo`` (its date); None: at once."""
    moment = story.published_at.timestamp() if story.published_at else None
    return moment if embargo and moment is not None and moment > now else None


def explain_embed(
    title: str, verdicts: Sequence[tuple[ChannelRoute, Verdict]], held: float | None = None
) -> dict[str, Any]:
    """``/feed explain``: for every route, whether the story goes there and, if not, the first rule that stopped it;
    a story ``held`` (``held_until``) goes there at its date, not now."""
    posted = f"⏳ {{}}: held until {discord_timestamp(held, 'F')}, then posted there" if held else "✅ {}: posted there"
    lines = [
        posted.format(f"<#{route.channel_id}>") if verdict.ok else f"❌ <#{route.channel_id}>: {verdict.reason}"
        for route, verdict in verdicts
    ] or ["No routes yet: add one with `/feed add`."]
    return {
        "title": truncate(f"Where “{clean_line(title)}” goes", 256),
        "description": truncate("\n".join(clean_line(line) for line in lines), ROUTES_LIMIT),
    }


def explain_text(verdicts: Sequence[tuple[ChannelRoute, Verdict]], held: float | None = None) -> list[str]:
    """``newsdesk explain FILE``: one line per config route; a story ``held`` (``held_until``) is posted at its date."""
    posted = "posted"
    if held is not None:
        posted = f"held until {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(held))} (embargo), then posted"
    lines = []
    for index, (route, verdict) in enumerate(verdicts):
        name = f"channels[{index}] ({route.name + ', ' if route.name else ''}channel {route.channel_id})"
        lines.append(f"{name}: {posted if verdict.ok else 'not posted: ' + (verdict.reason or '')}")
    return lines or ["no channels: routes are configured under channels:"]


def routes_embed(routes: Sequence[ChannelRoute], pings: Mapping[str, int]) -> dict[str, Any]:
    """``/feed list``: every route, and which topic mentions which role."""
    lines = [describe_route(r) for r in routes] or ["No routes yet: add one with `/feed add`."]
    ping_lines = [f"{clean_line(topic)} → <@&{role}>" for topic, role in sorted(pings.items())]
    return {
        "title": "Feed routes",
        "description": truncate("\n".join(f"• {line}" for line in lines), ROUTES_LIMIT),
        "fields": [{"name": "Topic pings", "value": truncate("\n".join(ping_lines) or "None", FIELD_VALUE_LIMIT)}],
    }
