"""What ``/feed`` answers, as plain text and embed dicts (Discord markup, but no discord.py), so it is unit-tested."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.embeds import FIELD_VALUE_LIMIT
from bot.text import clean_line, truncate

if TYPE_CHECKING:
    from bot.config import ChannelRoute

ROUTES_LIMIT = 4000  # an embed description holds 4096


def describe_route(route: ChannelRoute) -> str:
    """``<#channel> ← AI, Climate, quality ≥ 40 *(config file)*``."""
    topics = "every topic" if route.topics is None else ", ".join(route.labels or sorted(route.topics))
    quality = f", quality ≥ {route.min_quality}" if route.min_quality else ""
    source = " *(config file)*" if route.source == "config" else ""
    return f"<#{route.channel_id}> ← {clean_line(topics)}{quality}{source}"


def routes_embed(routes: Sequence[ChannelRoute], pings: Mapping[str, int]) -> dict[str, Any]:
    """``/feed list``: every route, and which topic mentions which role."""
    lines = [describe_route(r) for r in routes] or ["No routes yet: add one with `/feed add`."]
    ping_lines = [f"{clean_line(topic)} → <@&{role}>" for topic, role in sorted(pings.items())]
    return {
        "title": "Feed routes",
        "description": truncate("\n".join(f"• {line}" for line in lines), ROUTES_LIMIT),
        "fields": [{"name": "Topic pings", "value": truncate("\n".join(ping_lines) or "None", FIELD_VALUE_LIMIT)}],
    }
