from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.console import format_delete, format_post
from bot.embeds import build_story_message
from bot.story import Image, Provider, RelatedStory, Story


def make_story(**overrides: Any) -> Story:
    fields: dict[str, Any] = {
        "key": "https://news.example.com/a",
        "title": "Chip makers race to build AI accelerators",
        "excerpt": "word " * 60,
        "web_url": "https://news.example.com/a",
        "published_at": datetime(2026, 11, 24, 9, 15, tzinfo=UTC),
        "provider": Provider("Example News", "news.example.com"),
        "topics": ("AI", "Security"),
        "images": (Image("https://img.example.com/lead.jpg", 1200, 800),),
        "related": (
            RelatedStory("Other [take]", "https://other.example.org/b", provider=Provider("Other Daily")),
            RelatedStory("No provider", "https://third.example.net/c"),
        ),
        "quality": 64,
    }
    fields.update(overrides)
    return Story(**fields)


def test_card_contains_everything() -> None:
    card = format_post("news", build_story_message(make_story()), message_id="17", tz=UTC)
    lines = card.splitlines()
    assert lines[0] == "── #news · new story · msg 17 ──"
    assert lines[1] == "Chip makers race to build AI accelerators"
    assert "Example News · 2026-11-24 09:15 UTC · Newsdesk · quality 64" in lines
    assert "Image: https://img.example.com/lead.jpg" in lines
    assert "Topics: AI · Security" in lines
    assert "Related:" in lines
    assert "  - Other [take] (Other Daily) <https://other.example.org/b>" in lines
    assert "  - No provider <https://third.example.net/c>" in lines
    assert "Link: https://news.example.com/a" in lines
    assert lines[-1] == "─" * 88
    assert all(len(line) <= 88 for line in lines)
    assert "\x1b" not in card


def test_edit_header_and_local_zone() -> None:
    cet = timezone(timedelta(hours=1), "CET")
    card = format_post("#news", build_story_message(make_story()), message_id="9", action="edit", tz=cet)
    assert card.splitlines()[0] == "── #news · updated · msg 9 ──"
    assert "2026-11-24 10:15 CET" in card


def test_color_only_when_asked() -> None:
    payload = build_story_message(make_story())
    card = format_post("news", payload, message_id="1", color=True, tz=UTC)
    assert "\x1b[1mChip makers race to build AI accelerators\x1b[0m" in card
    assert "\x1b[2m" in card


def test_mentions_shown_and_escapes_stripped() -> None:
    payload = build_story_message(make_story(), role_ids=[5])
    payload["embeds"][0]["title"] = "evil \x1b[2J title"
    card = format_post("news", payload, message_id="1", tz=UTC)
    assert "Mentions: <@&5>" in card
    assert "\x1b" not in card
    assert "evil [2J title" in card


def test_bare_payload() -> None:
    payload = build_story_message(Story(key="file:x.md", title=""))
    card = format_post("news", payload, message_id="3")
    assert "(untitled)" in card
    assert "Image:" not in card and "Link:" not in card and "Related:" not in card


def test_format_delete_is_one_line() -> None:
    line = format_delete("news", "17", "Some\ntitle")
    assert line == "── #news · deleted · msg 17 · Some title ──"
    assert "\n" not in line
