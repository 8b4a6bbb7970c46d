"""Build the Discord message body for a story as plain JSON-ready dicts.

Pure and Discord-free: Discord rejects a whole message (400, code 50035) when any one limit is broken or any
URL is malformed, so everything here is cleaned, validated and truncated before it leaves the core.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.render.text import (
    ELLIPSIS,
    as_utc,
    clean_block,
    clean_line,
    escape_link_url,
    escape_markdown,
    truncate,
)
from bot.stories.story import Image, Provider, RelatedStory, Story

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
URL_LIMIT = 2048
# Link buttons take shorter URLs than embeds do; a longer one would reject the whole message.
BUTTON_URL_LIMIT = 512
BUTTON_LABEL_LIMIT = 80
BUTTONS_PER_ROW = 5
ALLOWED_ROLES_LIMIT = 100
RELATED_LINES = 5
RELATED_BUTTONS = 4
# Caps per related line so that one long title cannot crowd the others out of the 1024-char field.
RELATED_TITLE_LIMIT = 200
RELATED_PROVIDER_LIMIT = 64
TOPIC_SEPARATOR = " · "
BUTTON_STYLE_LINK = 5
BUTTON_STYLE_SECONDARY = 2
# The Follow component's contract with cogs/follow (which handles the clicks, as persistent items): one topic is a
# button whose custom_id carries the topic (cut so the id stays under Discord's 100), several are a select.
FOLLOW_PREFIX = "newsdesk:follow:t:"
FOLLOW_SELECT_ID = "newsdesk:follow:select"
FOLLOW_TOPIC_IN_ID = 70
FOLLOW_PLACEHOLDER = "Follow a topic…"
SELECT_OPTIONS_LIMIT = 25
SELECT_TEXT_LIMIT = 100
DEFAULT_COLOR = 0x2B6CB0
STYLES = ("full", "compact", "link")  # a route's ``style`` (bot.routes.route_rules.Style)

_HOST_LABEL = re.compile(r"^[^\W_](?:[\w-]*[^\W_])?$")


def is_valid_url(url: str, *, https_only: bool = False) -> bool:
    """Whether Discord will accept ``url``: http(s), a plausible host, no whitespace, at most 2048 chars."""
    if not isinstance(url, str) or not url or len(url) > URL_LIMIT:
        return False
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.scheme.lower() not in (("https",) if https_only else ("http", "https")):
        return False
    return _is_valid_host(parts.hostname or "")


def _is_valid_host(host: str) -> bool:
    if host == "localhost":
        return True
    labels = host.split(".")
    return len(labels) >= 2 and all(_HOST_LABEL.match(label) for label in labels)


def lead_image(story: Story) -> Image | None:
    """The largest of the story's own images that has a valid https URL (the first one on a tie)."""
    candidates = [image for image in story.images if is_valid_url(image.url, https_only=True)]
    return max(candidates, key=lambda image: image.area, default=None)


def embed_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards its 6000-per-embed rule."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    for item in embed.get("fields", ()):
        total += len(item.get("name", "")) + len(item.get("value", ""))
    return total


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable digest of a message body, to tell whether a posted message needs an edit."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def build_story_message(
    story: Story,
    *,
    role_ids: Sequence[int] = (),
    color: int = DEFAULT_COLOR,
    style: str = "full",
    follow: bool = True,
) -> dict[str, Any]:
    """The JSON body for ``POST /channels/{id}/messages`` (the caller adds the nonce).

    ``style``: ``full`` (the rich embed), ``compact`` (title, provider, link and a small thumbnail, no excerpt) or
    ``link`` (one line with the link and no embed, so Discord's own preview shows). ``follow``: the Follow button
    (or select) under the story, for members to follow its topics; off for DMs, /news replies and when
    ``personal.enabled`` is false.
    """
    if isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= 0xFFFFFF:
        raise ValueError(f"embed color must be an int in 0..0xFFFFFF, got {color!r}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    roles = _role_ids(role_ids)
    mentions = " ".join(f"<@&{rid}>" for rid in roles)
    payload: dict[str, Any] = {
        "content": mentions,
        "embeds": [_build_compact_embed(story, color) if style == "compact" else _build_embed(story, color)],
        # Only the configured roles may ever ping; nothing in story text can, whatever it contains.
        "allowed_mentions": {"parse": [], "roles": [str(rid) for rid in roles], "replied_user": False},
    }
    if style == "link":
        payload["content"] = _link_line(story, mentions)
        payload["embeds"] = []
    buttons = _buttons(story) if style == "full" else []
    rows = [{"type": 1, "components": buttons}] if buttons else []
    follow_item = follow_component(story.topics) if follow else None
    if follow_item is not None:
        rows.append({"type": 1, "components": [follow_item]})
    if rows:
        payload["components"] = rows
    return payload


def follow_component(topics: Iterable[str]) -> dict[str, Any] | None:
    """A "Follow <topic>" button for one topic, a select of up to 25 for several (deduplicated ignoring case),
    None without topics."""
    unique: dict[str, str] = {}
    for topic in topics:
        # Defused like every text we send, the ids included: nothing in a story file may read as a mention.
        plain = clean_line(topic or "")
        if plain and plain.casefold() not in unique:
            unique[plain.casefold()] = plain
    names = list(unique.values())[:SELECT_OPTIONS_LIMIT]
    if not names:
        return None
    if len(names) == 1:
        return {
            "type": 2,
            "style": BUTTON_STYLE_SECONDARY,
            "label": truncate(f"Follow {names[0]}", BUTTON_LABEL_LIMIT),
            "custom_id": FOLLOW_PREFIX + names[0][:FOLLOW_TOPIC_IN_ID],
        }
    options = [{"label": truncate(name, SELECT_TEXT_LIMIT), "value": name[:SELECT_TEXT_LIMIT]} for name in names]
    # Two topics can meet once cut to 100 characters; Discord refuses a select with two equal values.
    distinct = list({o["value"]: o for o in options}.values())
    return {"type": 3, "custom_id": FOLLOW_SELECT_ID, "placeholder": FOLLOW_PLACEHOLDER, "options": distinct}


def _link_line(story: Story, mentions: str) -> str:
    title = escape_markdown(clean_line(story.title or "")) or "(untitled)"
    url = story.web_url if is_valid_url(story.web_url) else ""
    room = CONTENT_LIMIT - len(mentions) - len(url) - 5
    line = " — ".join(part for part in (truncate(title, max(room, 1)), url) if part)
    return f"{mentions} {line}" if mentions else line


def _embed_head(story: Story, color: int, image_slot: str) -> dict[str, Any]:
    """Title, link, provider and lead image (as ``image`` or, in the compact style, ``thumbnail``)."""
    embed: dict[str, Any] = {
        "title": truncate(clean_line(story.title or ""), TITLE_LIMIT) or "(untitled)",
        "color": color,
    }
    if is_valid_url(story.web_url):
        embed["url"] = story.web_url
    author = _author(story.provider)
    if author:
        embed["author"] = author
    image = lead_image(story)
    if image is not None:
        embed[image_slot] = {"url": image.url}
    return embed


def _build_compact_embed(story: Story, color: int) -> dict[str, Any]:
    return _embed_head(story, color, "thumbnail")


def _build_embed(story: Story, color: int) -> dict[str, Any]:
    embed = _embed_head(story, color, "image")
    if story.published_at is not None:
        embed["timestamp"] = _iso_utc(story.published_at)

    fields = []
    topics = _topics_value(story.topics)
    if topics:
        fields.append({"name": "Topics", "value": topics, "inline": True})
    related = _related_value(story.related)
    if related:
        fields.append({"name": "Related coverage", "value": related, "inline": False})
    if fields:
        embed["fields"] = fields[:FIELD_COUNT_LIMIT]

    footer = "Newsdesk" if story.quality is None else f"Newsdesk · quality {story.quality}"
    embed["footer"] = {"text": truncate(footer, FOOTER_LIMIT)}

    # The description is the one part that can be long, so it takes whatever the total budget leaves.
    # Descriptions render markdown: an excerpt's masked links, headings, quotes, fences and spoilers show as text.
    excerpt = escape_markdown(clean_block(story.excerpt or ""), strict=True)
    if excerpt:
        room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - embed_length(embed))
        description = truncate(excerpt, room)
        if description:
            embed["description"] = description
    return embed


def _author(provider: Provider | None) -> dict[str, str] | None:
    if provider is None:
        return None
    domain = (provider.domain or "").strip().lower()
    url = f"https://{domain}" if domain else ""
    # A domain with a path, port or credentials is not a plain host; link nothing rather than guess.
    has_host = bool(url) and is_valid_url(url, https_only=True) and urlsplit(url).hostname == domain
    name = truncate(clean_line(provider.name or ""), AUTHOR_LIMIT) or (domain if has_host else "")
    if not name:
        return None
    author = {"name": name}
    if has_host:
        author["url"] = url
    return author


def _topics_value(topics: Iterable[str]) -> str:
    seen: list[str] = []
    for topic in topics:
        cleaned = escape_markdown(clean_line(topic or ""), strict=True)
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    value = ""
    for topic in seen:
        candidate = f"{value}{TOPIC_SEPARATOR}{topic}" if value else topic
        if len(candidate) > FIELD_VALUE_LIMIT - len(TOPIC_SEPARATOR + ELLIPSIS):
            return f"{value}{TOPIC_SEPARATOR}{ELLIPSIS}" if value else truncate(topic, FIELD_VALUE_LIMIT)
        value = candidate
    return value


def _related_value(related: Iterable[RelatedStory]) -> str:
    lines: list[str] = []
    used = 0
    for item in related:
        if len(lines) == RELATED_LINES:
            break
        if not is_valid_url(item.web_url):
            continue
        line = related_line(item)
        cost = len(line) + (1 if lines else 0)
        # Whole lines or nothing: a link cut in half renders as broken markdown.
        if used + cost > FIELD_VALUE_LIMIT:
            continue
        lines.append(line)
        used += cost
    return "\n".join(lines)


def related_line(item: RelatedStory, source: str = " — {}") -> str:
    """``• [title](url) — provider`` (the title alone without a valid link; ``source`` places the provider), every
    part escaped: the embed's related field and a discussion thread's opener both render markdown."""
    title = truncate(clean_line(item.title or ""), RELATED_TITLE_LIMIT) or "(untitled)"
    if is_valid_url(item.web_url):
        # Escaped in full: a label renders formatting, fences, spoilers and timestamps like any other text.
        line = f"• [{escape_markdown(title, strict=True)}]({escape_link_url(item.web_url)})"
    else:
        line = f"• {escape_markdown(title, strict=True)}"
    provider = escape_markdown(_provider_name(item.provider, RELATED_PROVIDER_LIMIT), strict=True)
    return line + source.format(provider) if provider else line


def _buttons(story: Story) -> list[dict[str, Any]]:
    buttons = []
    if _button_url_ok(story.web_url):
        buttons.append(_link_button("Read story", story.web_url))
    more = 0
    for item in story.related:
        if more == RELATED_BUTTONS or len(buttons) == BUTTONS_PER_ROW:
            break
        if not _button_url_ok(item.web_url):
            continue
        name = _provider_name(item.provider, BUTTON_LABEL_LIMIT) or clean_line(item.title or "") or "related"
        buttons.append(_link_button(truncate(f"More: {name}", BUTTON_LABEL_LIMIT), item.web_url))
        more += 1
    return buttons


def _button_url_ok(url: str) -> bool:
    return is_valid_url(url) and len(url) <= BUTTON_URL_LIMIT


def _link_button(label: str, url: str) -> dict[str, Any]:
    return {"type": 2, "style": BUTTON_STYLE_LINK, "label": label, "url": url}


def _provider_name(provider: Provider | None, limit: int) -> str:
    return truncate(clean_line(provider.name or ""), limit) if provider else ""


def _role_ids(role_ids: Sequence[int]) -> list[int]:
    roles: list[int] = []
    length = -1
    for rid in role_ids:
        rid = int(rid)
        if rid <= 0 or rid in roles:
            continue
        length += len(f"<@&{rid}>") + 1
        if length > CONTENT_LIMIT or len(roles) == ALLOWED_ROLES_LIMIT:
            break
        roles.append(rid)
    return roles


def _iso_utc(moment: datetime) -> str:
    return as_utc(moment).isoformat()
