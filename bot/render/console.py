"""Render message bodies as text cards for console mode (running without a Discord token).

Cards are derived from the payload dict alone, so the console shows exactly what Discord would receive.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import unicodedata
from datetime import datetime, tzinfo
from typing import Any, TextIO

DEFAULT_WIDTH = 100
MIN_WIDTH = 40
MAX_WIDTH = 120
_ACTIONS = {"post": "new story", "edit": "updated", "delete": "deleted"}
# The embed footer brands every Discord message; in a terminal that is all the bot prints, it is noise.
_BRAND = "Newsdesk"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_RELATED_LINE = re.compile(r"^• \[(?P<title>(?:\\.|[^\\\]])*)\]\((?P<url>[^()\s]+)\)(?: — (?P<provider>.+))?$")
_MARKDOWN_ESCAPE = re.compile(r"\\(.)")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_width(out: TextIO) -> int:
    """The width to print cards at: the terminal's (asked at each print, so a resize applies to the next card),
    else ``COLUMNS``, else 100; clamped to 40..120 so a tiny or huge window still gives readable lines."""
    columns = DEFAULT_WIDTH
    if _isatty(out):
        columns = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    else:
        env = os.environ.get("COLUMNS", "")
        if env.isdigit():
            columns = int(env)
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


def channel_label(channel_id: int, name: str | None = None) -> str:
    """How a card names a channel: as the delivery log lines do (``Channel 1: posted …``), plus its name."""
    name = _safe(name).lstrip("#")
    return f"Channel {channel_id} (#{name})" if name else f"Channel {channel_id}"


def format_post(
    channel: str,
    payload: dict[str, Any],
    *,
    message_id: str,
    action: str = "post",
    color: bool = False,
    tz: tzinfo | None = None,
    width: int = DEFAULT_WIDTH,
) -> str:
    """A multi-line card for a posted or edited message, no line wider than ``width`` unless it holds a single
    token (a URL) that is: that stays whole on its own line, so it can still be copied.

    ``channel`` is shown as given (see :func:`channel_label`); ``tz`` is the zone publish times are shown in,
    ``None`` meaning the machine's local zone.
    """
    style = _Style(color)
    wrap = _Wrapper(width)
    embeds = payload.get("embeds") or [{}]
    embed = embeds[0]
    label = _ACTIONS.get(action, action)
    lines = [
        style.dim(line) for line in wrap.plain(f"── {_safe(channel)} · {_safe(label)} · msg {_safe(message_id)} ──")
    ]
    lines += [style.bold(line) for line in wrap.plain(_safe(embed.get("title", "")) or "(untitled)")]

    meta = [_safe(embed.get("author", {}).get("name", "")).strip(), _when(embed.get("timestamp"), tz)]
    meta += [part for part in _safe(embed.get("footer", {}).get("text", "")).split(" · ") if part.strip() != _BRAND]
    meta_line = " · ".join(part.strip() for part in meta if part.strip())
    lines += [style.dim(line) for line in wrap.plain(meta_line)]
    lines += wrap.labeled("Mentions: ", _safe(payload.get("content", "")), style)

    # As members read it: the builder's markdown escapes are for Discord, not for the terminal.
    description = _MARKDOWN_ESCAPE.sub(r"\1", _safe(embed.get("description", ""), keep_newlines=True))
    if description.strip():
        lines.append("")
        for paragraph in description.split("\n"):
            lines += wrap.plain(paragraph) or [""]
        lines.append("")

    lines += wrap.labeled("Image: ", _safe(embed.get("image", {}).get("url", "")), style)
    for item in embed.get("fields", ()):
        name = _safe(item.get("name", "")).strip()
        value = _safe(item.get("value", ""), keep_newlines=True)
        if not value.strip():
            continue  # a field with nothing in it would print as a bare label
        if name == "Related coverage":
            lines.append(style.dim("Related:"))
            for line in value.splitlines():
                if line.strip():
                    lines += wrap.plain(_related(line), first="  - ", rest="    ")
            continue
        value = _MARKDOWN_ESCAPE.sub(r"\1", value)
        if "\n" in value:
            lines.append(style.dim(f"{name}:"))
            for line in value.splitlines():
                lines += wrap.plain(line, first="  ", rest="  ")
        else:
            lines += wrap.labeled(f"{name}: ", value, style)
    lines += wrap.labeled("Link: ", _safe(embed.get("url", "")), style)
    lines.append(style.dim("─" * width))
    return "\n".join(lines)


def format_delete(
    channel: str, message_id: str, story_title: str, *, color: bool = False, width: int = DEFAULT_WIDTH
) -> str:
    """The record of a deleted message: one line naming the story, wrapped only if it does not fit."""
    title = _safe(story_title).strip() or "(untitled)"
    text = f"── {_safe(channel)} · deleted · msg {_safe(message_id)} · {title} ──"
    return "\n".join(_Style(color).dim(line) for line in _Wrapper(width).plain(text, rest="   "))


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.enabled and text else text

    def dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self.enabled and text else text


class _Wrapper:
    """Word wrapping that never cuts a word: hyphens and URLs stay whole, a token longer than the line gets a
    line of its own (wider than ``width``) rather than being split."""

    def __init__(self, width: int) -> None:
        self.width = width

    def plain(self, text: str, *, first: str = "", rest: str = "") -> list[str]:
        return textwrap.wrap(
            text,
            self.width,
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        )

    def labeled(self, label: str, value: str, style: _Style) -> list[str]:
        """``Label: value``, continuation lines indented under the value; nothing at all for an empty value."""
        lines = self.plain(value, first=label, rest=" " * len(label))
        if lines and style.enabled:
            lines[0] = style.dim(label) + lines[0][len(label) :]
        return lines


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False


def _when(timestamp: str | None, tz: tzinfo | None) -> str:
    if not timestamp:
        return ""
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return _safe(str(timestamp))
    local = moment.astimezone(tz) if moment.tzinfo is not None else moment
    return local.strftime("%Y-%m-%d %H:%M %Z").rstrip()


def _related(line: str) -> str:
    match = _RELATED_LINE.match(line.strip())
    if match is None:
        return line.strip().removeprefix("• ")
    title = _MARKDOWN_ESCAPE.sub(r"\1", match["title"])
    provider = _MARKDOWN_ESCAPE.sub(r"\1", match["provider"] or "")
    provider = f" ({provider})" if provider else ""
    return f"{title}{provider} <{match['url']}>"


def _safe(text: Any, *, keep_newlines: bool = False) -> str:
    # The payload may not come from our builder; an escape sequence in it must not drive the terminal, and a
    # bidirectional override must not reorder what the card shows.
    text = str(text or "")
    if not keep_newlines:
        text = text.replace("\n", " ")
    return "".join(ch for ch in text if ch == "\n" or (unicodedata.category(ch) != "Cc" and ch not in _BIDI))
