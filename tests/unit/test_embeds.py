from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.render.embeds import (
    build_story_message,
    embed_length,
    is_valid_url,
    lead_image,
    payload_hash,
)
from bot.stories.story import Image, Provider, RelatedStory, Secured, Story


def make_story(**overrides: Any) -> Story:
    fields: dict[str, Any] = {
        "key": "https://news.example.com/a",
        "title": "Chip makers race to build AI accelerators",
        "excerpt": "A short excerpt about the story.",
        "web_url": "https://news.example.com/a",
        "published_at": datetime(2026, 11, 24, 9, 15, tzinfo=UTC),
        "provider": Provider("Example News", "news.example.com"),
        "topics": ("AI", "Security"),
        "images": (Image("https://img.example.com/lead.jpg", 1200, 800),),
        "related": (RelatedStory("Other take", "https://other.example.org/b", provider=Provider("Other Daily")),),
        "quality": 64,
    }
    fields.update(overrides)
    return Story(**fields)


def embed_of(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["embeds"][0]


def test_basic_embed_shape() -> None:
    payload = build_story_message(make_story())
    embed = embed_of(payload)
    assert embed["title"] == "Chip makers race to build AI accelerators"
    assert embed["url"] == "https://news.example.com/a"
    assert embed["description"] == "A short excerpt about the story."
    assert embed["author"] == {"name": "Example News", "url": "https://news.example.com"}
    assert embed["image"] == {"url": "https://img.example.com/lead.jpg"}
    assert embed["footer"] == {"text": "Newsdesk · quality 64"}
    assert embed["color"] == 0x2B6CB0
    assert embed["fields"][0] == {"name": "Topics", "value": "AI · Security", "inline": True}
    assert embed["fields"][1]["name"] == "Related coverage"
    assert embed["fields"][1]["value"] == "• [Other take](https://other.example.org/b) — Other Daily"
    assert payload["content"] == ""
    assert payload["allowed_mentions"] == {"parse": [], "roles": [], "replied_user": False}
    buttons = payload["components"][0]["components"]
    assert payload["components"][0]["type"] == 1
    assert buttons[0] == {"type": 2, "style": 5, "label": "Read story", "url": "https://news.example.com/a"}
    assert buttons[1]["label"] == "More: Other Daily"
    assert buttons[1]["url"] == "https://other.example.org/b"


def test_timestamp_is_iso_utc() -> None:
    cet = timezone(timedelta(hours=1))
    embed = embed_of(build_story_message(make_story(published_at=datetime(2026, 11, 24, 10, 15, tzinfo=cet))))
    assert embed["timestamp"] == "2026-11-24T09:15:00+00:00"
    naive = embed_of(build_story_message(make_story(published_at=datetime(2026, 11, 24, 9, 15))))  # noqa: DTZ001
    assert naive["timestamp"] == "2026-11-24T09:15:00+00:00"
    assert "timestamp" not in embed_of(build_story_message(make_story(published_at=None)))


def test_limits_respected_with_huge_story() -> None:
    word = "lorem ipsum dolor "
    related = tuple(
        RelatedStory(
            f"Related {i} " + word * 40,
            f"https://r{i}.example.com/" + "p" * 300,
            provider=Provider("Prov " * 30),
        )
        for i in range(30)
    )
    story = make_story(
        title="T" * 10_000,
        excerpt=(word * 600)[:10_000],
        provider=Provider("N" * 10_000, "example.com"),
        topics=tuple(f"topic{i}" * 20 for i in range(200)),
        related=related,
        quality=99,
    )
    payload = build_story_message(story)
    embed = embed_of(payload)
    assert len(embed["title"]) <= 256 and embed["title"].endswith("…")
    assert len(embed["description"]) <= 4096 and embed["description"].endswith("…")
    assert len(embed["author"]["name"]) <= 256
    assert len(embed["footer"]["text"]) <= 2048
    assert len(embed["fields"]) <= 25
    for item in embed["fields"]:
        assert len(item["name"]) <= 256
        assert 0 < len(item["value"]) <= 1024
    related_lines = embed["fields"][1]["value"].split("\n")
    assert 1 <= len(related_lines) <= 5
    assert all(line.startswith("• [") and ")" in line for line in related_lines)
    assert embed_length(embed) <= 6000
    buttons = payload["components"][0]["components"]
    assert len(buttons) == 5
    assert all(len(b["label"]) <= 80 for b in buttons)


def test_description_truncated_at_word_boundary() -> None:
    embed = embed_of(build_story_message(make_story(excerpt="word " * 2000)))
    assert embed["description"].endswith("word…")
    assert embed_length(embed) <= 6000


def test_embed_length_counts_the_right_parts() -> None:
    embed = {
        "title": "abc",
        "description": "de",
        "url": "https://ignored.example.com",
        "fields": [{"name": "f", "value": "gh"}],
        "footer": {"text": "ijkl"},
        "author": {"name": "m"},
    }
    assert embed_length(embed) == 3 + 2 + 1 + 2 + 4 + 1


@pytest.mark.parametrize(
    ("url", "https_only", "expected"),
    [
        ("https://example.com/a.jpg", True, True),
        ("http://example.com/a.jpg", False, True),
        ("http://example.com/a.jpg", True, False),
        ("http://localhost:8080/x", False, True),
        ("javascript:alert(1)", False, False),
        ("https://exa mple.com/a.jpg", False, False),
        ("https://example.com/a b.jpg", False, False),
        ("https:///a.jpg", False, False),
        ("https://nodot/a.jpg", False, False),
        ("ftp://example.com/a", False, False),
        ("https://example.com/\x00", False, False),
        ("https://example.com:99999/", False, False),
        ("https://example.com/" + "a" * 2048, False, False),
        ("", False, False),
    ],
)
def test_is_valid_url(url: str, https_only: bool, expected: bool) -> None:
    assert is_valid_url(url, https_only=https_only) is expected


def test_invalid_images_dropped_and_largest_valid_chosen() -> None:
    images = (
        Image("javascript:alert(1)", 5000, 5000),
        Image("http://img.example.com/insecure.jpg", 4000, 4000),
        Image("https://img.example.com/has space.jpg", 3000, 3000),
        Image("https:///nohost.jpg", 3000, 3000),
        Image("https://img.example.com/small.jpg", 100, 100),
        Image("https://img.example.com/big.jpg", 800, 600),
        Image("https://img.example.com/nosize.jpg"),
    )
    story = make_story(images=images)
    assert lead_image(story) == images[5]
    assert embed_of(build_story_message(story))["image"] == {"url": "https://img.example.com/big.jpg"}


def test_no_valid_image_means_no_image_key() -> None:
    story = make_story(images=(Image("http://img.example.com/a.jpg", 10, 10), Image("javascript:x")))
    assert lead_image(story) is None
    assert "image" not in embed_of(build_story_message(story))


def test_invalid_story_and_related_urls_are_not_sent() -> None:
    related = (
        RelatedStory("Bad", "javascript:alert(1)", provider=Provider("Evil")),
        RelatedStory("Good", "http://good.example.com/x", provider=Provider("Fine")),
    )
    payload = build_story_message(make_story(web_url="not a url", related=related))
    embed = embed_of(payload)
    assert "url" not in embed
    assert "javascript" not in json.dumps(payload)
    assert embed["fields"][1]["value"] == "• [Good](http://good.example.com/x) — Fine"
    assert [b["label"] for b in payload["components"][0]["components"]] == ["More: Fine"]


def test_mentions_in_story_text_never_ping() -> None:
    story = make_story(
        title="@everyone look <@&123> and <@456> @here",
        excerpt="ping @everyone",
        topics=("@here",),
        related=(RelatedStory("@everyone again", "https://x.example.com/", provider=Provider("<@&9>")),),
    )
    payload = build_story_message(story)
    embed = embed_of(payload)
    assert payload["allowed_mentions"]["parse"] == []
    assert payload["allowed_mentions"]["roles"] == []
    assert payload["content"] == ""
    assert embed["title"] == "@\u200beveryone look <@\u200b&123> and <@\u200b456> @\u200bhere"
    text = json.dumps(payload, ensure_ascii=False)
    for raw in ("@everyone", "@here", "<@&123>", "<@456>", "<@&9>"):
        assert raw not in text


def test_role_ids_become_content_and_allowed_roles() -> None:
    payload = build_story_message(make_story(title="<@&777> hi"), role_ids=[111, 222, 111])
    assert payload["content"] == "<@&111> <@&222>"
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["111", "222"], "replied_user": False}
    assert "<@&777>" not in json.dumps(payload)


def test_secured_never_in_payload() -> None:
    payload = build_story_message(make_story(secured=Secured("TOPSECRET"), body="body TOPSECRET"))
    assert "TOPSECRET" not in json.dumps(payload)


def test_bare_story() -> None:
    story = Story(key="file:a.md", title="  \x00\x1b ", excerpt="  \n\t ")
    payload = build_story_message(story)
    embed = embed_of(payload)
    assert embed["title"] == "(untitled)"
    assert "description" not in embed
    assert "author" not in embed and "image" not in embed and "fields" not in embed
    assert "url" not in embed and "timestamp" not in embed
    assert embed["footer"] == {"text": "Newsdesk"}
    assert "components" not in payload


def test_control_characters_stripped() -> None:
    story = make_story(title="Bre\x1b[31making\x07\nnews", excerpt="line one\x00\r\nline two\x1b")
    embed = embed_of(build_story_message(story))
    assert embed["title"] == "Bre[31making news"
    assert embed["description"] == "line one\nline two"


def test_author_url_only_for_plain_host() -> None:
    for domain in ("example.com/path", "bad host.com", "nodot", "user@example.com"):
        embed = embed_of(build_story_message(make_story(provider=Provider("P", domain))))
        assert embed["author"] == {"name": "P"}


def test_markdown_in_related_title_is_escaped() -> None:
    related = (RelatedStory("a [b] c", "https://x.example.com/p(1)", provider=Provider("P")),)
    value = embed_of(build_story_message(make_story(related=related)))["fields"][1]["value"]
    assert value == "• [a \\[b\\] c](https://x.example.com/p%281%29) — P"


def test_bad_color_rejected() -> None:
    with pytest.raises(ValueError, match="color"):
        build_story_message(make_story(), color=0x1000000)


def test_payload_hash_stable_and_sensitive() -> None:
    first = build_story_message(make_story())
    again = build_story_message(make_story())
    assert payload_hash(first) == payload_hash(again)
    reordered = dict(reversed(list(first.items())))
    assert payload_hash(reordered) == payload_hash(first)
    assert len(payload_hash(first)) == 64
    changed = build_story_message(make_story(title="A different title"))
    assert payload_hash(changed) != payload_hash(first)


def test_overlong_related_url_skipped_and_not_a_button() -> None:
    long_url = "https://long.example.com/" + "x" * 1500
    related = (
        RelatedStory("Too long", long_url, provider=Provider("Long")),
        RelatedStory("Short", "https://short.example.com/", provider=Provider("Short")),
    )
    payload = build_story_message(make_story(related=related))
    assert embed_of(payload)["fields"][1]["value"] == "• [Short](https://short.example.com/) — Short"
    labels = [b["label"] for b in payload["components"][0]["components"]]
    assert labels == ["Read story", "More: Short"]


def follow_row(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The components of the Follow row (the last row), or [] when the message has none."""
    rows = payload.get("components") or []
    last = rows[-1]["components"] if rows else []
    return [c for c in last if c.get("custom_id", "").startswith("newsdesk:follow:")]


def test_one_topic_is_a_follow_button_under_the_link_buttons() -> None:
    payload = build_story_message(make_story(topics=("AI",)))
    links, follow = payload["components"]
    assert all(b["style"] == 5 for b in links["components"])
    assert follow == {
        "type": 1,
        "components": [{"type": 2, "style": 2, "label": "Follow AI", "custom_id": "newsdesk:follow:t:AI"}],
    }


def test_several_topics_are_a_select_deduplicated_ignoring_case() -> None:
    payload = build_story_message(make_story(topics=("AI", "Security", "ai", " security ", "Chips")))
    (select,) = follow_row(payload)
    assert select["type"] == 3 and select["custom_id"] == "newsdesk:follow:select"
    assert select["placeholder"] == "Follow a topic…"
    assert [(o["label"], o["value"]) for o in select["options"]] == [
        ("AI", "AI"),
        ("Security", "Security"),
        ("Chips", "Chips"),
    ]
    # Case variants of one topic leave a single topic: a button, not a one-option select.
    (button,) = follow_row(build_story_message(make_story(topics=("AI", "ai", "Ai"))))
    assert button["custom_id"] == "newsdesk:follow:t:AI"


def test_follow_component_keeps_discord_limits() -> None:
    long_topic = "T" * 150
    (button,) = follow_row(build_story_message(make_story(topics=(long_topic,))))
    assert len(button["label"]) <= 80 and button["label"].startswith("Follow TTT")
    assert button["custom_id"] == "newsdesk:follow:t:" + "T" * 70 and len(button["custom_id"]) <= 100
    many = tuple(f"Topic {n}" for n in range(40))
    (select,) = follow_row(build_story_message(make_story(topics=many)))
    assert len(select["options"]) == 25
    assert all(len(o["label"]) <= 100 and len(o["value"]) <= 100 for o in select["options"])
    # Two topics equal once cut to 100 characters stay one option (Discord refuses equal values).
    (cut,) = follow_row(build_story_message(make_story(topics=("x" * 120 + "a", "x" * 120 + "b", "y"))))
    assert [o["value"] for o in cut["options"]] == ["x" * 100, "y"]


def test_no_follow_component_without_topics_when_off_or_in_any_style() -> None:
    assert follow_row(build_story_message(make_story(topics=()))) == []
    assert follow_row(build_story_message(make_story(topics=("  ", "\x00")))) == []
    off = build_story_message(make_story(topics=("AI",)), follow=False)
    assert [b["style"] for row in off["components"] for b in row["components"]] == [5, 5]
    for style in ("compact", "link"):
        payload = build_story_message(make_story(topics=("AI",)), style=style)
        assert [c["custom_id"] for c in follow_row(payload)] == ["newsdesk:follow:t:AI"], style
        assert len(payload["components"]) == 1  # no link buttons in these styles, only the Follow row
