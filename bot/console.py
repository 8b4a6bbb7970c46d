"""Render message bodies as text cards for console mode (running without a Discord token).

Cards are derived from the payload dict alone, so the console shows exactly what Discord would receive.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from datetime import datetime, tzinfo
from typing import Any

WIDTH = 88
_ACTIONS = {"post": "new story", "edit": "updated", "delete": "deleted"}
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_RELATED_LINE = re.compile(r"^• \[(?P<title>(?:\\.|[^\\\]])*)\]\((?P<url>[^()\s]+)\)(?: — (?P<provider>.+))?$")
_MARKDOWN_ESCAPE = re.compile(r"\\(.)")


def format_post(
    channel_label: str,
    payload: dict[str, Any],
    *,
    message_id: str,
    action: str = "post",
    color: bool = False,
    tz: tzinfo | None = None,
) -> str:
    """A multi-line card for a posted or edited message.

    ``tz`` is the zone publish times are shown in; ``None`` means the machine's local zone.
    """
    style = _Style(color)
    embeds = payload.get("embeds") or [{}]
    embed = embeds[0]
    label = _ACTIONS.get(action, action)
    lines = [style.dim(f"── {_channel(channel_label)} · {_safe(label)} · msg {_safe(str(message_id))} ──")]
    lines.append(style.bold(_safe(embed.get("title", "")) or "(untitled)"))

    meta = [_safe(embed.get("author", {}).get("name", ""))]
    meta.append(_when(embed.get("timestamp"), tz))
    meta.append(_safe(embed.get("footer", {}).get("text", "")))
    if any(meta):
        lines.append(style.dim(" · ".join(part for part in meta if part)))
    content = _safe(payload.get("content", ""))
    if content:
        lines.append(style.dim(f"Mentions: {content}"))

    description = _safe(embed.get("description", ""), keep_newlines=True)
    if description:
        lines.append("")
        lines.extend(_wrap(description))
        lines.append("")

    image = embed.get("image", {}).get("url")
    if image:
        lines.append(style.dim("Image: ") + _safe(image))
    for item in embed.get("fields", ()):
        name = _safe(item.get("name", ""))
        value = _safe(item.get("value", ""), keep_newlines=True)
        if name == "Related coverage":
            lines.append(style.dim("Related:"))
            lines.extend(f"  - {_related(line)}" for line in value.splitlines() if line.strip())
        elif "\n" in value:
            lines.append(style.dim(f"{name}:"))
            lines.extend(f"  {line}" for line in value.splitlines())
        else:
            lines.append(style.dim(f"{name}: ") + value)
    if embed.get("url"):
        lines.append(style.dim("Link: ") + _safe(embed["url"]))
    lines.append(style.dim("─" * WIDTH))
    return "\n".join(lines)


def format_delete(channel_label: str, message_id: str, story_title: str, *, color: bool = False) -> str:
    """One line recording that a story's message was deleted."""
    title = _safe(story_title) or "(untitled)"
    return _Style(color).dim(f"── {_channel(channel_label)} · deleted · msg {_safe(str(message_id))} · {title} ──")


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.enabled and text else text

    def dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self.enabled and text else text


def _channel(label: str) -> str:
    label = _safe(label)
    return label if label.startswith("#") else f"#{label}"


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
    provider = f" ({match['provider']})" if match["provider"] else ""
    return f"{title}{provider} <{match['url']}>"


def _wrap(text: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, WIDTH) or [""])
    return lines


def _safe(text: Any, *, keep_newlines: bool = False) -> str:
    # The payload may not come from our builder; an escape sequence in it must not drive the terminal.
    text = str(text or "")
    if not keep_newlines:
        text = text.replace("\n", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
