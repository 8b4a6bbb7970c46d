"""Ranking a digest and turning it into messages that stay within every Discord limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.digest.ranking import DigestCandidate, rank, score
from bot.digest.render import EMBEDS_PER_MESSAGE, STORIES_PER_EMBED, build_digest_messages, entry_text
from bot.render.embeds import embed_length
from bot.stories.story import Image, Provider, Story
from tests.fakediscord import validate_message

START, END = 1_795_000_000.0, 1_795_086_400.0


def story(n: int, **fields: object) -> Story:
    values: dict[str, object] = {
        "key": f"https://news.example/{n}",
        "title": f"Story {n}",
        "web_url": f"https://news.example/{n}",
        "provider": Provider("Example News", "news.example"),
        "topics": ("AI", "Climate"),
        "published_at": datetime(2026, 11, 20, 8, n % 60, tzinfo=UTC),
        "images": (Image(f"https://news.example/img/{n}.jpg", 1200, 800),),
        "published": True,
    }
    values.update(fields)
    return Story(**values)  # type: ignore[arg-type]


def long_story(n: int) -> Story:
    return story(
        n,
        title=f"{n} " + "A remarkably long headline about the state of things " * 8,
        web_url=f"https://news.example/{n}/" + "section/" * 120,
        provider=Provider("The Extremely Verbose Provider of Very Long Names " * 3, "news.example"),
        topics=tuple(f"Topic with a long name number {i}" for i in range(12)),
    )


def all_story_ids(messages: list) -> list[int]:
    return [sid for m in messages for sid in m.story_ids]


def test_score_weights_quality_over_heat_and_clamps() -> None:
    assert score(80, 10) == 0.6 * 80 + 0.4 * 10
    assert score(None, -1) == 0
    assert score(150, 500) == 100
    assert score(100, 0) > score(0, 100)


def test_rank_by_score_then_newest_then_id() -> None:
    candidates = [
        DigestCandidate(1, 50, 5, 1000.0, 10.0),
        DigestCandidate(2, 90, 0, 500.0, 10.0),
        DigestCandidate(3, 50, 5, 2000.0, 10.0),  # same score as 1, newer
        DigestCandidate(4, 50, 5, None, 3000.0),  # no date: first seen counts, newest of the three
        DigestCandidate(5, 50, 5, 1000.0, 10.0),  # same as 1 in every way but a later id
    ]
    assert [c.story_id for c in rank(candidates)] == [2, 4, 3, 5, 1]


def test_header_and_entries() -> None:
    messages = build_digest_messages("morning", [(1, story(1)), (2, story(2))], window_start=START, window_end=END)
    assert len(messages) == 1 and messages[0].story_ids == (1, 2)
    payload = messages[0].payload
    header, body = payload["embeds"]
    assert header["title"] == "morning digest"
    assert "**2** new stories" in header["description"]
    assert f"<t:{int(START)}:f>" in header["description"] and f"<t:{int(END)}:f>" in header["description"]
    assert header["image"]["url"] == "https://news.example/img/1.jpg", "the top story's lead image"
    assert body["description"].startswith("**1. [Story 1](https://news.example/1)**\nExample News · AI · Climate · <t:")
    assert payload["allowed_mentions"]["parse"] == []
    assert validate_message(payload) is None


def test_no_image_when_the_top_story_has_none_and_no_messages_for_no_stories() -> None:
    messages = build_digest_messages("d", [(1, story(1, images=())), (2, story(2))], window_start=START, window_end=END)
    assert "image" not in messages[0].payload["embeds"][0]
    assert build_digest_messages("d", [], window_start=START, window_end=END) == []


def test_entries_escape_markdown_and_defuse_mentions() -> None:
    text = entry_text(3, story(3, title="@everyone [free] *stuff* <@&42>", web_url="https://x.example/a_(b)"))
    assert "@everyone" not in text and "<@&42>" not in text
    assert "\\[free\\] \\*stuff\\*" in text
    assert "(https://x.example/a_%28b%29)" in text
    assert entry_text(1, story(1, web_url="javascript:alert(1)")).startswith("**1. Story 1**\n")


def test_25_long_stories_stay_within_every_limit() -> None:
    entries = [(n, long_story(n)) for n in range(1, 26)]
    messages = build_digest_messages("long" * 80, entries, window_start=START, window_end=END)
    assert all_story_ids(messages) == list(range(1, 26)), "every story exactly once, in rank order"
    assert len(messages) > 1
    for message in messages:
        embeds = message.payload["embeds"]
        assert len(embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_length(e) for e in embeds) <= 6000
        assert all(len(e.get("description", "")) <= 4096 and len(e.get("title", "")) <= 256 for e in embeds)
        assert validate_message(message.payload) is None, json.dumps(message.payload)[:300]
    assert "title" in messages[0].payload["embeds"][0], "the header leads the first message only"
    assert all("title" not in e for m in messages[1:] for e in m.payload["embeds"])


def test_25_short_stories_fit_one_message_in_cards_of_five() -> None:
    messages = build_digest_messages("d", [(n, story(n)) for n in range(25)], window_start=START, window_end=END)
    assert len(messages) == 1
    embeds = messages[0].payload["embeds"]
    assert len(embeds) == 1 + 25 // STORIES_PER_EMBED
    assert all(e["description"].count("\n**") == STORIES_PER_EMBED - 1 for e in embeds[1:])
    assert validate_message(messages[0].payload) is None


def test_embed_limit_of_ten_starts_a_new_message() -> None:
    # Tiny entries: the per-message embed count, not the 6000 characters, is what splits them.
    entries = [(n, story(n, provider=None, topics=(), published_at=None, web_url="")) for n in range(60)]
    messages = build_digest_messages("d", entries, window_start=START, window_end=END)
    assert [len(m.payload["embeds"]) for m in messages] == [10, 3]
    assert all_story_ids(messages) == list(range(60))
