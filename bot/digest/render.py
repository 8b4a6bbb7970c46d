"""A digest as Discord message bodies: a header embed, then the stories as short numbered entries.

Pure and Discord-free, like ``bot.render.embeds``; text is cleaned and escaped by ``bot.render.text``.
Discord rejects a whole message when one limit is broken, so entries are capped in size and packed greedily:
at most ``STORIES_PER_EMBED`` entries and 4,096 characters per embed, at most 10 embeds and 6,000 characters
per message, then a new message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.render.embeds import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    TITLE_LIMIT,
    TOPIC_SEPARATOR,
    embed_length,
    is_valid_url,
    lead_image,
)
from bot.render.text import clean_line, discord_timestamp, escape_link_url, escape_markdown, truncate
from bot.stories.story import Story

if TYPE_CHECKING:
    from bot.signal.ranking import Engagement

EMBEDS_PER_MESSAGE = 10
# Short cards scan better than one wall of text; with 25 stories that is still a single message most days.
STORIES_PER_EMBED = 5
ENTRY_TITLE_LIMIT = 200
ENTRY_PROVIDER_LIMIT = 64
ENTRY_TOPICS = 4
ENTRY_TOPIC_LIMIT = 40
# A link longer than this is left out (the title stays), so one odd URL cannot crowd out the other entries.
ENTRY_URL_LIMIT = 1024
DIGEST_COLOR = 0x2F855A
FOOTER_TEXT = "Newsdesk digest"
# A ``rank: discussed`` digest opens with this many of its most discussed stories (those with any engagement).
MOST_DISCUSSED = 3
MOST_DISCUSSED_TITLE = "Most discussed"


@dataclass(frozen=True, slots=True)
class DigestMessage:
    payload: dict[str, Any]
    story_ids: tuple[int, ...]  # the stories this message carries, recorded once Discord confirmed it


def build_digest_messages(
    name: str,
    entries: Sequence[tuple[int, Story]],
    *,
    window_start: float,
    window_end: float,
    discussed: Sequence[tuple[Story, Engagement]] = (),
) -> list[DigestMessage]:
    """The messages for a digest of ``entries`` (story id, story), best first; none for no entries. With
    ``discussed`` (a discussed digest's stories that have counts, most discussed first) a "Most discussed"
    section follows the header."""
    if not entries:
        return []
    header = _header(name, entries[0][1], len(entries), window_start, window_end)
    packer = _Packer(header, *([most_discussed_embed(discussed)] if discussed else []))
    for number, (story_id, story) in enumerate(entries, 1):
        packer.add(story_id, entry_text(number, story))
    return packer.finish()


def entry_text(number: int, story: Story) -> str:
    """``**1. [Title](url)**`` and a line with provider · topics · relative time."""
    title = escape_markdown(truncate(clean_line(story.title or ""), ENTRY_TITLE_LIMIT) or "(untitled)")
    url = escape_link_url(story.web_url)
    if is_valid_url(story.web_url) and len(url) <= ENTRY_URL_LIMIT:
        head = f"**{number}. [{title}]({url})**"
    else:
        head = f"**{number}. {title}**"
    meta: list[str] = []
    if story.provider is not None:
        provider = escape_markdown(truncate(clean_line(story.provider.name or ""), ENTRY_PROVIDER_LIMIT))
        if provider:
            meta.append(provider)
    topics = [escape_markdown(truncate(clean_line(t or ""), ENTRY_TOPIC_LIMIT)) for t in story.topics[:ENTRY_TOPICS]]
    meta += [t for t in dict.fromkeys(topics) if t]
    if story.published_at is not None:
        meta.append(discord_timestamp(story.published_at, "R"))
    return f"{head}\n{TOPIC_SEPARATOR.join(meta)}" if meta else head


def most_discussed_embed(discussed: Sequence[tuple[Story, Engagement]]) -> dict[str, Any]:
    """The top ``MOST_DISCUSSED`` stories with their reactions and replies."""
    lines = []
    for number, (story, counts) in enumerate(discussed[:MOST_DISCUSSED], 1):
        title = escape_markdown(truncate(clean_line(story.title or ""), ENTRY_TITLE_LIMIT) or "(untitled)")
        url = escape_link_url(story.web_url)
        linked = is_valid_url(story.web_url) and len(url) <= ENTRY_URL_LIMIT
        head = f"**{number}. [{title}]({url})**" if linked else f"**{number}. {title}**"
        reactions, replies = max(0, counts.reactions), max(0, counts.replies)
        lines.append(
            f"{head}\n👍 {reactions} {_plural(reactions, 'reaction')} · 💬 {replies} {_plural(replies, 'reply')}"
        )
    return {"title": MOST_DISCUSSED_TITLE, "description": "\n".join(lines), "color": DIGEST_COLOR}


def _plural(n: int, word: str) -> str:
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _header(name: str, top: Story, count: int, window_start: float, window_end: float) -> dict[str, Any]:
    noun = "story" if count == 1 else "stories"
    embed: dict[str, Any] = {
        "title": truncate(clean_line(f"{name} digest"), TITLE_LIMIT),
        "description": (
            f"**{count}** new {noun} from {discord_timestamp(window_start)} to {discord_timestamp(window_end)}"
        ),
        "color": DIGEST_COLOR,
        "footer": {"text": FOOTER_TEXT},
        "timestamp": datetime.fromtimestamp(window_end, UTC).isoformat(),
    }
    image = lead_image(top)
    if image is not None:
        embed["image"] = {"url": image.url}
    return embed


class _Packer:
    """Fills entries into embeds and embeds into messages without crossing any of Discord's limits."""

    def __init__(self, *opening: dict[str, Any]) -> None:
        self._messages: list[DigestMessage] = []
        self._embeds: list[dict[str, Any]] = list(opening)
        self._ids: list[int] = []
        self._lines: list[str] = []
        self._line_ids: list[int] = []

    def add(self, story_id: int, entry: str) -> None:
        if self._lines and (
            len(self._lines) == STORIES_PER_EMBED
            or self._chunk_length() + 1 + len(entry) > DESCRIPTION_LIMIT
            or self._used() + 1 + len(entry) > EMBED_TOTAL_LIMIT
        ):
            self._close_embed()
        if not self._lines and (
            len(self._embeds) == EMBEDS_PER_MESSAGE or self._used() + len(entry) > EMBED_TOTAL_LIMIT
        ):
            self._close_message()
        self._lines.append(entry)
        self._line_ids.append(story_id)

    def finish(self) -> list[DigestMessage]:
        self._close_embed()
        self._close_message()
        return self._messages

    def _chunk_length(self) -> int:
        return len("\n".join(self._lines))

    def _used(self) -> int:
        return sum(embed_length(e) for e in self._embeds) + self._chunk_length()

    def _close_embed(self) -> None:
        if self._lines:
            self._embeds.append({"description": "\n".join(self._lines), "color": DIGEST_COLOR})
            self._ids += self._line_ids
            self._lines, self._line_ids = [], []

    def _close_message(self) -> None:
        if self._embeds:
            payload = {
                "content": "",
                "embeds": self._embeds,
                # Nothing in a digest may ping anyone, whatever a story's text contains.
                "allowed_mentions": {"parse": [], "replied_user": False},
            }
            self._messages.append(DigestMessage(payload, tuple(self._ids)))
            self._embeds, self._ids = [], []
