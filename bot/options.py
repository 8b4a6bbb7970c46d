"""Parsing slash-command option text (Discord-free, so it is unit-tested without a client)."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_TOPICS = 25


class OptionError(ValueError):
    """A bad option value (slash command or config file). ``str()`` names the option and shows a valid example."""

    def __init__(self, option: str, reason: str, example: str = "") -> None:
        self.option = option
        self.reason = reason
        self.example = example
        super().__init__(f"`{option}`: {reason}. Example: `{example}`" if example else f"`{option}`: {reason}")

    def explain(self) -> str:
        """The reason and example without the option's name, for messages that name it their own way."""
        return f"{self.reason}; for example {self.example}" if self.example else self.reason


def parse_route_topics(text: str | None, option: str = "topics") -> tuple[str, ...] | None:
    """A route's topics, as routes hold them: ``"AI, Climate"`` -> ("AI", "Climate"); empty or ``*`` -> None.

    None means every topic, like a ``"*"`` route in the config file (``ChannelRoute.topics``); digests spell
    "every topic" as an empty tuple instead, see ``bot.digest_spec.parse_digest_topics``.
    """
    if text is None or text.strip() in ("", "*"):
        return None
    topics = tuple(dict.fromkeys(" ".join(t.split()) for t in text.split(",") if t.strip()))
    if len(topics) > MAX_TOPICS:
        raise OptionError(option, f"at most {MAX_TOPICS} topics", "AI, Climate")
    if any(len(t) > 100 for t in topics):
        raise OptionError(option, "a topic is at most 100 characters", "AI, Climate")
    return topics or None


def parse_duration(text: str, option: str = "since") -> int:
    """``"24h"`` -> 86400 seconds. Units: m, h, d, w (hours when none is given)."""
    match = _DURATION.match(text or "")
    if not match:
        raise OptionError(option, f"expected a number and a unit (m, h, d or w), got {text!r:.40}", "24h")
    seconds = int(match.group(1)) * _UNITS[(match.group(2) or "h").lower()]
    if not 60 <= seconds <= 3650 * 86400:
        raise OptionError(option, "expected between 1 minute and 10 years", "7d")
    return seconds
