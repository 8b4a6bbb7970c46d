"""Where posts go: the interface the delivery workers use, and the console sink for running without Discord."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TextIO

from bot.render.console import channel_label, format_delete, format_post, terminal_width

TitleLookup = Callable[[int, int], Awaitable[str | None]]  # through the store's async seam


class Poster(Protocol):
    """What a digest needs: digests are posted, never edited or deleted."""

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        """Create the message and return its id once the receiving end confirmed it."""
        ...


class Sink(Poster, Protocol):
    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None: ...

    async def delete(self, channel_id: int, message_id: int) -> None: ...


class ConsoleSink:
    """Prints each post, edit and deletion as a readable card: the bot's output without a Discord token.

    ``title_of(channel_id, message_id)`` looks up the story a message was posted for, so that a deletion after
    a restart (when this sink has not seen the post) still names the story.
    """

    def __init__(
        self,
        labels: Mapping[int, str],
        out: TextIO | None = None,
        *,
        color: bool | None = None,
        first_id: int = 1,
        title_of: TitleLookup | None = None,
    ) -> None:
        self._labels = labels
        self._out = out or sys.stdout
        self._color = self._out.isatty() if color is None else color
        self._ids: Callable[[], int] = itertools.count(first_id).__next__
        self._title_of = title_of
        self._titles: dict[int, str] = {}

    def _label(self, channel_id: int) -> str:
        return channel_label(channel_id, self._labels.get(channel_id))

    def _write(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    async def post(self, channel_id: int, payload: dict[str, Any], *, nonce: str) -> int:
        message_id = self._ids()
        self._titles[message_id] = _title(payload)
        width = terminal_width(self._out)
        self._write(
            format_post(self._label(channel_id), payload, message_id=str(message_id), color=self._color, width=width)
        )
        return message_id

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        self._titles[message_id] = _title(payload)
        card = format_post(
            self._label(channel_id),
            payload,
            message_id=str(message_id),
            action="edit",
            color=self._color,
            width=terminal_width(self._out),
        )
        self._write(card)

    async def delete(self, channel_id: int, message_id: int) -> None:
        title = self._titles.pop(message_id, None)
        if title is None and self._title_of is not None:
            # Posted before a restart: the ledger still knows the story (the row is settled after this call).
            title = await self._title_of(channel_id, message_id)
        line = format_delete(
            self._label(channel_id),
            str(message_id),
            title or "(a story posted earlier)",
            color=self._color,
            width=terminal_width(self._out),
        )
        self._write(line)


def _title(payload: dict[str, Any]) -> str:
    embeds = payload.get("embeds") or [{}]
    return str(embeds[0].get("title", ""))
