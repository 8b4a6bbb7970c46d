from __future__ import annotations

import functools
import io
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.config import parse_config
from bot.pipeline import Pipeline
from bot.render.console import channel_label, format_delete, format_post, terminal_width
from bot.render.embeds import build_story_message
from bot.send.sinks import ConsoleSink
from bot.store import Store
from bot.stories.story import Image, Provider, RelatedStory, Story
from tests.storyfiles import write_story

LONG_URL = "https://news.example.com/" + "-".join(["a-very-long-slug"] * 8) + "?id=" + "7" * 10


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
    card = format_post("Channel 1 (#news)", build_story_message(make_story()), message_id="17", tz=UTC)
    lines = card.splitlines()
    assert lines[0] == "── Channel 1 (#news) · new story · msg 17 ──"
    assert lines[1] == "Chip makers race to build AI accelerators"
    assert "Example News · 2026-11-24 09:15 UTC · quality 64" in lines
    assert "Image: https://img.example.com/lead.jpg" in lines
    assert "Topics: AI · Security" in lines
    assert "Related:" in lines
    assert "  - Other [take] (Other Daily) <https://other.example.org/b>" in lines
    assert "  - No provider <https://third.example.net/c>" in lines
    assert "Link: https://news.example.com/a" in lines
    assert lines[-1] == "─" * 100
    assert all(len(line) <= 100 for line in lines)
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
    line = format_delete("Channel 1 (#news)", "17", "Some\ntitle")
    assert line == "── Channel 1 (#news) · deleted · msg 17 · Some title ──"
    assert "\n" not in line


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"\s+", text) if word]


@pytest.mark.parametrize("width", [60, 100])
def test_card_wraps_at_the_width_on_word_boundaries(width: int) -> None:
    excerpt = "State-of-the-art accelerators " + "interconnect bandwidth matters more than raw compute " * 6
    story = make_story(
        excerpt=excerpt,
        related=tuple(
            RelatedStory(
                f"Related analysis number {n} of the chip race and what it means for data centres next year",
                f"https://other.example.org/{n}",
            )
            for n in range(3)
        ),
        images=(Image("https://img.example.com/" + "x" * 20 + ".jpg", 1200, 800),),
    )
    card = format_post("Channel 1 (#news)", build_story_message(story), message_id="1", tz=UTC, width=width)
    lines = card.splitlines()
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    assert lines[-1] == "─" * width
    # Every word of the excerpt appears whole on some line: nothing was cut, hyphenated words included.
    line_words = {word for line in lines for word in _words(line)}
    assert set(_words(excerpt)) <= line_words
    assert "State-of-the-art" in line_words
    related = [line for line in lines if line.startswith(("  - ", "    "))]
    assert len(related) > 3, "the related lines wrap too"
    assert all(line.startswith("    ") for line in related if not line.startswith("  - "))


def test_a_long_url_stays_whole_on_its_own_line() -> None:
    assert len(LONG_URL) >= 150
    story = make_story(web_url=LONG_URL, key=LONG_URL, excerpt=f"Read more at {LONG_URL} today and tomorrow.")
    card = format_post("Channel 1", build_story_message(story), message_id="1", tz=UTC, width=60)
    lines = card.splitlines()
    assert f"Link: {LONG_URL}" in lines
    assert LONG_URL in lines, "in running text a long URL gets a line of its own"
    assert all(len(line) <= 60 for line in lines if LONG_URL not in line)


def test_label_continuation_lines_are_indented_under_the_value() -> None:
    payload = build_story_message(make_story(topics=tuple(f"Topic{n}" for n in range(12))))
    lines = format_post("Channel 1", payload, message_id="1", tz=UTC, width=40).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Topics: "))
    assert lines[start + 1].startswith(" " * len("Topics: ")) and lines[start + 1].strip()


def test_no_footer_noise_and_no_empty_provider_line() -> None:
    card = format_post("Channel 1", build_story_message(make_story(provider=None, quality=None)), message_id="1")
    assert "Newsdesk" not in card
    lines = card.splitlines()
    assert lines[2] != "" and not any(line.strip() in ("·", "Provider:") for line in lines)
    story = make_story(provider=None, quality=None, published_at=None, excerpt="")
    lines = format_post("Channel 1", build_story_message(story), message_id="1").splitlines()
    assert lines[:2] == ["── Channel 1 · new story · msg 1 ──", "Chip makers race to build AI accelerators"]
    assert lines[2].startswith("Image: ")


def test_channel_label_matches_the_delivery_log_lines() -> None:
    # bot/send/queue.py logs "Channel %s: posted '%s' (message %s)" with the channel id.
    assert channel_label(1, "news") == "Channel 1 (#news)"
    assert channel_label(1, "#news") == "Channel 1 (#news)"
    assert channel_label(200000000000000001, None) == "Channel 200000000000000001"


def test_width_is_clamped_and_follows_columns_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width(io.StringIO()) == 100
    monkeypatch.setenv("COLUMNS", "72")
    assert terminal_width(io.StringIO()) == 72
    monkeypatch.setenv("COLUMNS", "10")
    assert terminal_width(io.StringIO()) == 40
    monkeypatch.setenv("COLUMNS", "500")
    assert terminal_width(io.StringIO()) == 120


def test_format_delete_wraps_a_long_title() -> None:
    text = format_delete("Channel 1 (#news)", "17", "word " * 30, width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert len(text.splitlines()) > 1


async def test_delete_card_names_the_story_after_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    folder = tmp_path / "articles"
    folder.mkdir()
    raw: dict[str, Any] = {
        "articles": {"path": str(folder), "backfill": "all"},
        "storage": {"url": f"sqlite:///{tmp_path / 'console.db'}"},
        "channels": [{"id": 1, "name": "news", "topics": "*"}],
    }
    write_story(folder, "a.md", 1, title="Robots learn to read")

    async def run(out: io.StringIO) -> None:
        store = Store.open(raw["storage"]["url"])
        pipeline = Pipeline(parse_config(raw), store)
        sink = ConsoleSink(
            {1: "news"},
            out,
            color=False,
            first_id=store.ledger.max_message_id() + 1,
            title_of=functools.partial(store.run_concurrent, store.ledger.message_title),
        )
        await pipeline.start(sink, watch=False)
        await pipeline.drain()
        await pipeline.stop()
        store.close()

    first = io.StringIO()
    await run(first)
    assert first.getvalue().startswith("── Channel 1 (#news) · new story · msg 1 ──")
    (folder / "a.md").unlink()
    second = io.StringIO()
    await run(second)  # a new process: the sink never saw the post
    assert second.getvalue() == "── Channel 1 (#news) · deleted · msg 1 · Robots learn to read ──\n"


def test_console_cards_ignore_the_follow_component() -> None:
    for topics in (("AI",), ("AI", "Security")):
        payload = build_story_message(make_story(topics=topics))
        assert any(
            c.get("custom_id", "").startswith("newsdesk:follow:") for c in payload["components"][-1]["components"]
        )
        card = format_post("Channel 1", payload, message_id="1", tz=UTC)
        assert card == format_post(
            "Channel 1", build_story_message(make_story(topics=topics), follow=False), message_id="1", tz=UTC
        )
        assert "Follow" not in card and "newsdesk:follow" not in card
