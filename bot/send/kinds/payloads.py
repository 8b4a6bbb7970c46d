"""Channel kinds: what a story becomes in each kind of channel, as pure data (no Discord client here).

A route's kind comes from the channel's type, which the start-up channel check reads from Discord, plus the
route's options (``publish``, ``thread``, ``webhook``, ``create_tags``). ``bot/send/kinds/deliverer.py`` turns these
bodies into requests through the sink.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.render.embeds import CONTENT_LIMIT, related_line
from bot.render.text import clean_line, strip_controls, truncate
from bot.stories.story import Story

MANAGE_CHANNELS = 1 << 4
MANAGE_WEBHOOKS = 1 << 29
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35

THREAD_NAME_MAX = 100
TAG_NAME_MAX = 20
TAGS_PER_FORUM = 20
TAGS_PER_POST = 5
WEBHOOK_NAME = "Newsdesk"
USERNAME_MAX = 80
# Discord refuses a webhook username containing these words (whatever the case), these characters, or equal to
# these names.
_FORBIDDEN_IN_USERNAME = ("clyde", "discord")
_USERNAME_DROP = str.maketrans({"@": " ", "#": " ", ":": " "})
_RESERVED_USERNAMES = ("everyone", "here")
OPENER_LINES = 10
_OPENER_HEAD = "**Related coverage**"


class ChannelKind(StrEnum):
    TEXT = "text"
    ANNOUNCEMENT = "announcement"
    FORUM = "forum"  # forum and media channels: each story is a post (a thread with a starter message)


_KIND_BY_TYPE = {0: ChannelKind.TEXT, 5: ChannelKind.ANNOUNCEMENT, 15: ChannelKind.FORUM, 16: ChannelKind.FORUM}


def kind_of(channel_type: int) -> ChannelKind:
    """Threads (10, 11, 12) take plain messages like text channels."""
    return _KIND_BY_TYPE.get(channel_type, ChannelKind.TEXT)


@dataclass(frozen=True, slots=True)
class ForumTag:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What the channel check learned: the kind, a forum's tags, and the bot's permission bits there."""

    kind: ChannelKind
    permissions: int = -1  # -1: every permission (owner, administrator, or a DM)
    tags: tuple[ForumTag, ...] = ()
    guild_id: int | None = None  # where a forum's active posts are listed (GET /guilds/{id}/threads/active)

    def can(self, bit: int) -> bool:
        return self.permissions & bit == bit

    @classmethod
    def from_channel(cls, channel: Mapping[str, Any], permissions: int) -> ChannelInfo:
        tags = tuple(
            ForumTag(int(t["id"]), str(t.get("name", ""))) for t in channel.get("available_tags") or [] if "id" in t
        )
        guild = channel.get("guild_id")
        return cls(kind_of(int(channel.get("type", 0))), permissions, tags, int(guild) if guild else None)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a story's message lives, once Discord returned its id: enough to edit or delete it later."""

    message_id: int
    thread_id: int | None = None  # the forum post, or the discussion thread under the message
    webhook_id: int | None = None  # posted through this webhook: edit and delete through it too


def thread_name(title: str) -> str:
    """A post or thread name: the title on one line, cut to Discord's 100 characters, never empty."""
    return truncate(clean_line(title), THREAD_NAME_MAX) or "(untitled)"


def matching_tags(tags: Iterable[ForumTag], topics: Sequence[str]) -> list[int]:
    """The forum's tags whose names equal one of the story's topics (case-insensitive), at most 5."""
    wanted = {t.casefold() for t in topics}
    return [tag.id for tag in tags if tag.name.casefold() in wanted][:TAGS_PER_POST]


def missing_tags(tags: Sequence[ForumTag], topics: Sequence[str]) -> list[str]:
    """Topic tags a forum lacks, as many as still fit under its 20 (names cut to 20 characters)."""
    have = {tag.name.casefold() for tag in tags}
    names: list[str] = []
    for topic in topics:
        name = truncate(clean_line(topic), TAG_NAME_MAX)
        if name and name.casefold() not in have:
            have.add(name.casefold())
            names.append(name)
    return names[: max(0, TAGS_PER_FORUM - len(tags))][:TAGS_PER_POST]


def forum_post(story: Story, message: Mapping[str, Any], tag_ids: Sequence[int], archive: int) -> dict[str, Any]:
    """The body of ``POST /channels/{forum}/threads``: the story's message becomes the starter message."""
    return {
        "name": thread_name(story.title),
        "auto_archive_duration": archive,
        "applied_tags": [str(t) for t in tag_ids],
        "message": dict(message),
    }


def discussion_opener(story: Story) -> dict[str, Any]:
    """The first message of a story's discussion thread: the related coverage, or an invitation. Each line is the
    embed's related line (bot/render/embeds.py), escaped the same way; whole lines only, within 2,000 chars."""
    lines: list[str] = []
    used = len(_OPENER_HEAD)
    for item in story.related[:OPENER_LINES]:
        line = related_line(item, source=" ({})")
        if used + 1 + len(line) > CONTENT_LIMIT:
            continue
        lines.append(line)
        used += 1 + len(line)
    text = _OPENER_HEAD + "\n" + "\n".join(lines) if lines else "Discuss this story here."
    return {"content": text, "allowed_mentions": {"parse": []}}


def webhook_username(name: str) -> str:
    """A provider's name as Discord accepts a webhook username (1-80 characters, none of ``@ # :`` or a code
    fence, not "everyone"/"here", no "discord" or "clyde" in any case): the rest of the name stays readable."""
    name = " ".join(strip_controls(name, keep_newlines=False).replace("```", " ").translate(_USERNAME_DROP).split())
    for word in _FORBIDDEN_IN_USERNAME:
        # Discord rejects the whole message otherwise; a zero-width space keeps the name readable.
        name = _break_word(name, word)
    name = truncate(name, USERNAME_MAX)
    return WEBHOOK_NAME if not name or name.casefold() in _RESERVED_USERNAMES else name


def webhook_identity(story: Story, avatars: Mapping[str, str]) -> dict[str, Any]:
    """``username`` (the provider's name) and ``avatar_url`` (from ``providers:``) for a webhook post."""
    provider = story.provider
    identity: dict[str, Any] = {"username": webhook_username(provider.name if provider else "")}
    avatar = avatars.get((provider.domain if provider else "").strip().lower())
    if avatar:
        identity["avatar_url"] = avatar
    return identity


def _break_word(text: str, word: str) -> str:
    """Every occurrence of ``word`` (any case) with a zero-width space after its first letter."""
    out, lower, start = [], text.lower(), 0
    while (found := lower.find(word, start)) >= 0:
        end = found + len(word)
        out += [text[start:found], text[found], "\u200b", text[found + 1 : end]]
        start = end
    return "".join(out) + text[start:]
