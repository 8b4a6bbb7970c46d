"""What a member may follow, checked and normalised before it is stored (pure; no Discord, no database).

A topic or provider is matched case-insensitively, so its key is the casefolded name; words are whole words or a
phrase matched exactly like a route's ``include_words`` (``bot.routes.route_rules``: the same normaliser and the
same matcher, so a member's follow and an admin's rule can never disagree on what "contains AI" means)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.options import OptionError
from bot.routes.route_rules import has_phrase, normalise_phrase
from bot.store.personal_tables import FollowKind

MAX_LENGTH = 100
EXAMPLES = {FollowKind.TOPIC: "AI", FollowKind.PROVIDER: "Wire Desk", FollowKind.WORDS: "quantum computing"}
_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class FollowTarget:
    kind: FollowKind
    norm: str  # the match key stored in follows.norm
    value: str  # the member's spelling, shown back to them ("You follow AI")


def parse_follow(kind: FollowKind, text: str | None, option: str | None = None) -> FollowTarget:
    """Check what the member typed for ``kind``; an :class:`OptionError` names ``option`` (default: the kind)."""
    option = option or kind.value
    raw = text or ""
    if "\n" in raw or "\r" in raw:
        raise OptionError(option, "one line only", EXAMPLES[kind])
    value = normalise_phrase(raw)
    if not value:
        raise OptionError(option, "missing: what to follow", EXAMPLES[kind])
    if len(value) > MAX_LENGTH:
        raise OptionError(option, f"at most {MAX_LENGTH} characters", EXAMPLES[kind])
    if kind is FollowKind.WORDS and not _WORD.search(value):
        raise OptionError(option, "needs at least one letter or digit (whole words are matched)", EXAMPLES[kind])
    # Words are matched by the route rules' case-insensitive regex: lower(), not casefold(), which would turn "ß"
    # into "ss" and never match the text again.
    return FollowTarget(kind, value.lower() if kind is FollowKind.WORDS else value.casefold(), value)


def words_match(norm: str, text: str) -> bool:
    """Whether a words follow matches a story's text: whole words, any whitespace between a phrase's words."""
    return has_phrase(text, norm)


def describe(kind: FollowKind, value: str) -> str:
    """How a follow reads back to the member: "AI", "provider Wire Desk", "the words “quantum leap”"."""
    if kind is FollowKind.PROVIDER:
        return f"provider {value}"
    if kind is FollowKind.WORDS:
        return f"the words “{value}”"
    return value


# -- what the member reads --------------------------------------------------------------------------------------

CLOSED_DMS = "Your DMs are closed, so your follows are paused; /following resumes them."
TURNED_OFF = "Following is turned off in this server."


def added_text(kind: FollowKind, value: str, outcome: str, count: int, limit: int, mode: str) -> str:
    """The answer to a follow (``outcome`` is ``bot.store.follows.Added``'s value)."""
    what = describe(kind, value)
    if outcome == "full":
        return f"You follow {count} things, the most this server allows; /unfollow one first."
    if outcome == "unchanged":
        return f"You follow {what} already ({mode}). /following to change."
    where = "come to your DMs" if mode == "instant" else "go into your personal digest (/follow settings digest_time)"
    stories = {
        FollowKind.TOPIC: f"new {value} stories",
        FollowKind.PROVIDER: f"new stories from {value}",
        FollowKind.WORDS: f"new stories with “{value}”",
    }[kind]
    return f"You follow {what} now: {stories} {where}. /following to change."


def forgotten_text(follows: int, settings: int, deliveries: int) -> str:
    if follows + settings + deliveries == 0:
        return "Nothing was stored about you, so there was nothing to delete."
    parts = [f"{follows} follow{'s' if follows != 1 else ''}"]
    if settings:
        parts.append("your settings")
    parts.append(f"{deliveries} DM record{'s' if deliveries != 1 else ''}")
    return f"Deleted {', '.join(parts[:-1])} and {parts[-1]}. Newsdesk keeps nothing about you now."
