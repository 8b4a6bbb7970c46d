"""Issue 20.6: a story whose every text field is hostile markdown reaches no message kind as live markup — the
plain embed, a discussion thread's opener, a forum post's name and starter, a webhook username, a console card."""

from __future__ import annotations

import re

from bot.render.console import format_post
from bot.render.embeds import build_story_message
from bot.send.kinds.payloads import discussion_opener, forum_post, webhook_identity, webhook_username
from bot.stories.story import Provider, RelatedStory, Story

HOSTILE = (
    "[click me](https://evil.example/x) @everyone <@&123456789012345678> <@42424242424242424> "
    "```fence``` ||spoiler|| **bold** <t:1:R>\n# heading\n> quote\n- item"
)
RELATED_URL = "https://other.example/1"


def hostile_story() -> Story:
    return Story(
        key="file:hostile.md",
        title=HOSTILE,
        excerpt=HOSTILE,
        web_url="https://news.example/hostile",
        provider=Provider(HOSTILE, "news.example"),
        topics=(HOSTILE, "AI"),
        related=(RelatedStory(HOSTILE, RELATED_URL, provider=Provider(HOSTILE, "other.example")),),
    )


def assert_inert(text: str, where: str) -> None:
    """Nothing in ``text`` formats, links, pings or fences as Discord renders markdown."""
    for found in re.finditer(r"\]\(https://evil", text):
        assert text[found.start() - 1] == "\\", f"{where}: a live masked link to evil.example"
    for token in ("@everyone", "<@&", "<@4", "```", "||", "<t:", "**bold"):
        assert not re.search(r"(?<!\\)" + re.escape(token), text), f"{where}: {token!r} reaches Discord live"
    for line in text.split("\n"):
        assert not re.match(r"\s*(#|>|- )", line), f"{where}: the line {line!r} starts a heading, quote or list"


def test_the_plain_embed_shows_hostile_markdown_as_text() -> None:
    payload = build_story_message(hostile_story(), style="full")
    embed = payload["embeds"][0]
    assert_inert(embed["description"], "description")
    assert "\\[click me\\]" in embed["description"], "shown, escaped, not dropped"
    for field in embed["fields"]:
        assert_inert(field["value"], f"field {field['name']}")
    related = next(f["value"] for f in embed["fields"] if f["name"] == "Related coverage")
    assert f"]({RELATED_URL})" in related, "the related story's own link stays a link"
    assert payload["allowed_mentions"]["parse"] == []


def test_the_thread_opener_escapes_titles_urls_and_providers() -> None:
    content = discussion_opener(hostile_story())["content"]
    assert_inert(content.removeprefix("**Related coverage**"), "opener")
    assert content.startswith("**Related coverage**\n• [") and f"]({RELATED_URL})" in content
    broken = Story(key="k", title="t", related=(RelatedStory("x", "https://ok.example/a b) [y](https://evil"),))
    assert "evil" not in discussion_opener(broken)["content"].replace("\\", "").split("](")[-1], "no url injection"


def test_a_forum_post_name_is_one_clean_line_and_its_starter_is_the_escaped_embed() -> None:
    story = hostile_story()
    body = forum_post(story, build_story_message(story), [], 1440)
    name = body["name"]
    assert "\n" not in name and len(name) <= 100
    assert "@everyone" not in name and "<@&" not in name, "names never mention"
    assert_inert(body["message"]["embeds"][0]["description"], "starter message")


def test_a_webhook_username_keeps_to_discords_rules() -> None:
    name = webhook_identity(hostile_story(), {})["username"]
    assert 1 <= len(name) <= 80
    assert not any(bad in name for bad in ("@", "#", ":", "```")), name
    for name in (webhook_username(n) for n in ("@everyone", "here", "Discord: the #1 @news", "```", "\x1b[31m")):
        assert 1 <= len(name) <= 80 and not any(bad in name for bad in ("@", "#", ":", "```", "\x1b"))
        assert "discord" not in name.lower() and name.casefold() not in ("everyone", "here")
    assert webhook_username("@everyone") == "Newsdesk" and webhook_username("") == "Newsdesk"


def test_a_console_card_shows_the_text_without_terminal_control_or_reordering() -> None:
    story = hostile_story()
    spoofed = Story(key="k", title="Breaking\x1b[2J\u202enews", excerpt="Fine \x9b31m print\u2066", web_url="")
    for payload in (build_story_message(story), build_story_message(spoofed)):
        card = format_post("Channel 1 (#news)", payload, message_id="1")
        assert not any(ch in card for ch in "\x1b\x9b\u202e\u2066"), "no escape sequence or bidi override"
    card = format_post("Channel 1 (#news)", build_story_message(story), message_id="1")
    assert "[click me](https://evil.example/x)" in card, "as members read it: the escapes are Discord's business"
