"""Text hygiene shared by every message builder: cleaning, truncating, markdown escaping and time markup.

Pure and Discord-free. Story text and what members type reach Discord through many builders (story embeds,
/news pages, digests, status, alerts); they all clean and escape it here, so a fix applies everywhere at once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

ELLIPSIS = "…"
_ZWSP = "\u200b"
_MASS_MENTION = re.compile(r"@(everyone|here)")
_ENTITY_MENTION = re.compile(r"<@([!&]?\d)")
# Formatting and link brackets; strict mode adds what starts markup (<t:…>), a heading or a list at a line's start.
_MARKDOWN = re.compile(r"([\\\[\]*_~`|])")
_MARKDOWN_STRICT = re.compile(r"([\\*_~|`<>\[\]()#-])")
# Inside a link label only these end or break the label; the rest renders as written there.
_LINK_LABEL = re.compile(r"([\\\[\]])")
TIMESTAMP_STYLES = frozenset("tTdDfFR")


def strip_controls(text: str, *, keep_newlines: bool) -> str:
    """``text`` without control characters; tabs become spaces and newlines spaces unless kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not keep_newlines:
        text = text.replace("\n", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def neutralize_mentions(text: str) -> str:
    """Defence in depth behind ``allowed_mentions``: a zero-width space stops any client parsing a mention."""
    text = _MASS_MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", text)
    return _ENTITY_MENTION.sub(lambda m: f"<@{_ZWSP}{m.group(1)}", text)


def clean_line(text: str) -> str:
    """Single-line text: controls removed, whitespace runs collapsed, mentions defused."""
    return neutralize_mentions(" ".join(strip_controls(text, keep_newlines=False).split()))


def clean_block(text: str) -> str:
    """Multi-line text: controls removed, paragraphs kept (at most one blank line), mentions defused."""
    lines = [" ".join(line.split()) for line in strip_controls(text, keep_newlines=True).split("\n")]
    return neutralize_mentions(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` chars with an ellipsis, at a word boundary unless that loses too much."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = text[: limit - 1]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary >= limit * 0.6:
        cut = cut[:boundary]
    return cut.rstrip() + ELLIPSIS


def escape_markdown(text: str, *, strict: bool = False) -> str:
    """``text`` with markdown characters backslash-escaped, so a title cannot format or link a listing.

    By default formatting (``*_~`|``), link brackets and backslashes; ``strict`` also escapes ``<>()#-``, for
    text that may start a line (a heading or list marker there) or sit next to Discord markup.
    """
    return (_MARKDOWN_STRICT if strict else _MARKDOWN).sub(r"\\\1", text)


def escape_link_label(text: str) -> str:
    """The text of a ``[label](url)`` link: only what would end or break the label is escaped."""
    return _LINK_LABEL.sub(r"\\\1", text)


def escape_link_url(url: str) -> str:
    """The target of a ``[label](url)`` link: parentheses would close it early; their escapes address the same
    resource."""
    return url.replace("(", "%28").replace(")", "%29")


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC. A naive time (as in story front matter) is taken as UTC, the only reading that does
    not depend on the host."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def discord_timestamp(moment: datetime | float, style: str = "f") -> str:
    """Discord's ``<t:…>`` markup, which every reader sees in their own locale and time zone.

    ``moment`` is a datetime (naive means UTC) or epoch seconds; ``style`` is one of Discord's: t, T, d, D, f,
    F or R (relative, "3 hours ago").
    """
    if style not in TIMESTAMP_STYLES:
        raise ValueError(f"timestamp style must be one of {''.join(sorted(TIMESTAMP_STYLES))}, got {style!r}")
    seconds = as_utc(moment).timestamp() if isinstance(moment, datetime) else moment
    return f"<t:{int(seconds)}:{style}>"
