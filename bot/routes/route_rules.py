"""Route rules: which stories a route takes beyond topics and quality, and why a story did or didn't land.

Pure and Discord-free. Routing (the planner's ``channels_for``), ``/feed explain``, ``/feed test`` and ``newsdesk
explain`` all call :func:`explain`, so they can never disagree. The rules are checked in a fixed order (``ORDER``)
and the first one that stops a story is the reason given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.options import OptionError, parse_duration
from bot.routes.planning import OnUnpublish
from bot.stories.story import Story
from bot.timezones import parse_timezone

# The order rules are checked in; the first that stops a story is its reason. Cheap, content-only rules first;
# max_age and daily_cap last, because they only gate new posts (an edit never withdraws a post over them).
ORDER = (
    "published",
    "topics",
    "min_quality",
    "types",
    "categories",
    "providers",
    "exclude_providers",
    "include_words",
    "exclude_words",
    "archive",
    "max_age",
    "daily_cap",
)
ARCHIVE_REASON = "in the folder before this route began (archive); /feed backfill posts it"
RULE_KEYS = (
    "include_words",
    "exclude_words",
    "providers",
    "exclude_providers",
    "types",
    "categories",
    "max_age",
    "daily_cap",
    "timezone",
    "ping_min_heat",
    "style",
    "color",
    "on_unpublish",
)
_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")
MAX_LIST = 50


class Style(StrEnum):
    """How a route's posts look: today's embed, a compact one, or one line with the link (Discord's preview)."""

    FULL = "full"
    COMPACT = "compact"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class RouteRules:
    """A route's rules beyond topics and ``min_quality``, parsed and validated. Empty lists mean "no rule"."""

    include_words: tuple[str, ...] = ()
    exclude_words: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    exclude_providers: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    max_age: int | None = None  # seconds
    max_age_text: str = field(default="", compare=False)  # as written (48h), for messages
    daily_cap: int | None = None
    timezone: str | None = None  # for daily_cap's day; None = the scheduler's
    ping_min_heat: int = 0
    style: Style = Style.FULL
    color: int | None = None
    on_unpublish: OnUnpublish | None = None  # None = articles.on_unpublish

    @property
    def age_text(self) -> str:
        return self.max_age_text or format_duration(self.max_age or 0)

    def describe(self) -> list[str]:
        """One short phrase per rule that is set, for ``/feed list`` and ``newsdesk explain``."""
        parts: list[str] = []
        for name in ("include_words", "exclude_words", "providers", "exclude_providers", "types", "categories"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name} {', '.join(values)}")
        if self.max_age is not None:
            parts.append(f"max_age {self.age_text}")
        if self.daily_cap is not None:
            parts.append(f"daily_cap {self.daily_cap}" + (f" ({self.timezone})" if self.timezone else ""))
        if self.ping_min_heat:
            parts.append(f"ping_min_heat {self.ping_min_heat}")
        if self.style is not Style.FULL:
            parts.append(f"style {self.style}")
        if self.color is not None:
            parts.append(f"color #{self.color:06x}")
        if self.on_unpublish is not None:
            parts.append(f"on_unpublish {self.on_unpublish}")
        return parts


class Routed(Protocol):
    """What :func:`explain` needs of a route (``bot.config.ChannelRoute``)."""

    @property
    def topics(self) -> frozenset[str] | None: ...
    @property
    def min_quality(self) -> int: ...
    @property
    def rules(self) -> RouteRules: ...
    @property
    def channel_id(self) -> int: ...


# posts_since(channel_id, unix_time) -> posts planned to that channel since then (the ledger's count).
PostsSince = Callable[[int, float], int]


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What rules that depend on time or on the ledger need. ``posts_since`` None: caps are not checked."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    posts_since: PostsSince | None = None
    timezone: str = "UTC"  # the scheduler's, for routes that name none
    # The archive rule, for a story that is live already (an edit, an explain): when it became live, and when a
    # route began (None: unknown, the story is new to it). ``live_since`` None: the story is new to every route.
    live_since: float | None = None
    began: Callable[[Routed], float | None] | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a route takes a story; if not, the first rule that stopped it (``rule``) and why (``reason``)."""

    ok: bool
    reason: str | None = None
    rule: str | None = None


TAKEN = Verdict(True)


def explain(story: Story, route: Routed, context: RuleContext, *, admitting: bool = True) -> Verdict:
    """Check ``route``'s rules in ``ORDER``; the first one that stops ``story`` is the verdict.

    ``admitting`` False checks only what the story *is* (topics, quality, words, providers...), not when it came:
    a story already posted keeps its message when edited, even if it is now older than ``max_age``.
    """
    rules = route.rules
    if not story.published:
        return Verdict(False, "not published", "published")
    if route.topics is not None and not any(t.casefold() in route.topics for t in story.topics):
        shown = ", ".join(story.topics) or "none"
        return Verdict(False, f"topics ({shown}) not in the route's topics", "topics")
    if (story.quality or 0) < route.min_quality:
        return Verdict(False, f"quality {story.quality or 0} < {route.min_quality}", "min_quality")
    if rules.types and story.kind.casefold() not in {t.casefold() for t in rules.types}:
        return Verdict(False, f"type {story.kind or 'none'!r} not in types", "types")
    if rules.categories and story.category.casefold() not in {c.casefold() for c in rules.categories}:
        return Verdict(False, f"category {story.category or 'none'!r} not in categories", "categories")
    if rules.providers and not any(_provider_is(story, p) for p in rules.providers):
        return Verdict(False, f"provider {_provider_name(story)!r} not in providers", "providers")
    blocked = next((p for p in rules.exclude_providers if _provider_is(story, p)), None)
    if blocked is not None:
        return Verdict(False, f"excluded provider: {blocked}", "exclude_providers")
    text = f"{story.title}\n{story.excerpt}"
    if rules.include_words and not any(_has_phrase(text, w) for w in rules.include_words):
        return Verdict(False, f"none of the words: {', '.join(rules.include_words)}", "include_words")
    word = next((w for w in rules.exclude_words if _has_phrase(text, w)), None)
    if word is not None:
        return Verdict(False, f"excluded word: {word}", "exclude_words")
    if not admitting:
        return TAKEN
    if context.live_since is not None and context.began is not None:
        began = context.began(route)
        if began is not None and not is_new_to_route(context.live_since, story, began):
            return Verdict(False, ARCHIVE_REASON, "archive")
    if rules.max_age is not None and story.published_at is not None:
        published = story.published_at if story.published_at.tzinfo else story.published_at.replace(tzinfo=UTC)
        if context.now - published > timedelta(seconds=rules.max_age):
            return Verdict(False, f"older than max_age {rules.age_text}", "max_age")
    if rules.daily_cap is not None and context.posts_since is not None:
        since = day_start(context.now, rules.timezone or context.timezone)
        if context.posts_since(route.channel_id, since) >= rules.daily_cap:
            return Verdict(False, f"daily cap {rules.daily_cap} reached", "daily_cap")
    return TAKEN


def is_new_to_route(live_since: float, story: Story, began: float) -> bool:
    """A route posts a story on its own only if the story became live after the route began, or is dated after
    that (a story held for its release time when the route began is new to it). Older ones are its archive."""
    if live_since > began:
        return True
    when = story.published_at
    # A naive date is UTC, as everywhere stories are read (``bot.render.text.as_utc``; not imported: config uses us).
    return when is not None and (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() > began


def day_start(now: datetime, timezone: str) -> float:
    """The Unix time today began in ``timezone``."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def heat_pings(story: Story, rules: RouteRules) -> bool:
    """``ping_min_heat``: the route's roles are mentioned only for stories at least this hot."""
    return (story.heat or 0) >= rules.ping_min_heat


@functools.lru_cache(maxsize=1024)
def _phrase(phrase: str) -> re.Pattern[str]:
    # Whole words: "AI" must not match "said"; a phrase matches across any run of whitespace.
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _has_phrase(text: str, phrase: str) -> bool:
    return bool(_phrase(phrase).search(text))


def has_phrase(text: str, phrase: str) -> bool:
    """Whether ``text`` has ``phrase`` as whole words, case-insensitively: the route rules' ``include_words``
    matcher, which members' ``/follow words`` share."""
    return _has_phrase(text, phrase)


def _provider_name(story: Story) -> str:
    return story.provider.name if story.provider else "none"


def _provider_is(story: Story, wanted: str) -> bool:
    """A provider by name, or by domain (``example.com`` also matches ``news.example.com``)."""
    if story.provider is None:
        return False
    want = wanted.casefold()
    if story.provider.name.casefold() == want:
        return True
    domain = story.provider.domain.casefold().removeprefix("www.")
    want = want.removeprefix("www.")
    return bool(domain) and (domain == want or domain.endswith("." + want))


# -- parsing ----------------------------------------------------------------------------------------------------


def parse_rules(raw: Mapping[str, Any], prefix: str = "") -> RouteRules:
    """Rules from a config entry or ``/feed add`` options. Lists may be YAML lists or comma-separated text.

    Raises :class:`OptionError` whose ``option`` is ``prefix`` + the key, e.g. ``channels[0].max_age``.
    """
    values: dict[str, Any] = {}
    for name in ("include_words", "exclude_words", "providers", "exclude_providers", "types", "categories"):
        if raw.get(name) is not None:
            values[name] = parse_list(raw[name], prefix + name)
    if raw.get("max_age") is not None:
        values["max_age"] = parse_duration(str(raw["max_age"]), prefix + "max_age")
        values["max_age_text"] = "".join(str(raw["max_age"]).split())
    if raw.get("daily_cap") is not None:
        values["daily_cap"] = parse_cap(raw["daily_cap"], prefix + "daily_cap")
    if raw.get("timezone") is not None:
        try:
            values["timezone"] = parse_timezone(raw["timezone"])
        except OptionError as exc:
            raise OptionError(prefix + "timezone", exc.reason, exc.example) from None
    if raw.get("ping_min_heat") is not None:
        values["ping_min_heat"] = _whole(raw["ping_min_heat"], prefix + "ping_min_heat", 0, 100, "70")
    if raw.get("style") is not None:
        values["style"] = parse_style(raw["style"], prefix + "style")
    if raw.get("color") is not None:
        values["color"] = parse_color(raw["color"], prefix + "color")
    if raw.get("on_unpublish") is not None:
        text = str(raw["on_unpublish"]).strip().lower()
        if text not in tuple(OnUnpublish):
            raise OptionError(prefix + "on_unpublish", f"expected delete or keep, got {text!r:.40}", "keep")
        values["on_unpublish"] = OnUnpublish(text)
    return RouteRules(**values)


def normalise_phrase(text: Any) -> str:
    """Words or a phrase as the rules hold them: any run of whitespace becomes one space (case is kept)."""
    return " ".join(str(text).split())


def parse_list(value: Any, option: str) -> tuple[str, ...]:
    """``"crypto, nft"`` or ``[crypto, nft]`` -> ("crypto", "nft"); whitespace inside a phrase is normalised."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise OptionError(option, f"expected a list or comma-separated text, got {type(value).__name__}", "a, b")
    cleaned = tuple(dict.fromkeys(normalise_phrase(i) for i in items if str(i).strip()))
    if len(cleaned) > MAX_LIST:
        raise OptionError(option, f"at most {MAX_LIST} entries", "crypto, nft")
    if any(len(i) > 100 for i in cleaned):
        raise OptionError(option, "an entry is at most 100 characters", "crypto, nft")
    return cleaned


def parse_cap(value: Any, option: str = "daily_cap") -> int:
    return _whole(value, option, 1, 1000, "20")


def parse_style(value: Any, option: str = "style") -> Style:
    text = str(value).strip().lower()
    if text not in tuple(Style):
        raise OptionError(option, f"unknown style {text!r:.40}; expected full, compact or link", "compact")
    return Style(text)


def parse_color(value: Any, option: str = "color") -> int:
    match = _COLOR.match(str(value).strip())
    if isinstance(value, bool) or match is None:
        raise OptionError(option, f"expected a colour as #rrggbb, got {str(value)!r:.40}", "#5865f2")
    return int(match.group(1), 16)


def parse_topic_colors(raw: Any, option: str = "topic_colors") -> dict[str, int]:
    """``topic_colors: {AI: "#5865f2"}`` -> {"ai": 0x5865F2} (topics matched case-insensitively)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise OptionError(option, f"expected a mapping of topic to colour, got {type(raw).__name__}", 'AI: "#5865f2"')
    return {str(topic).casefold(): parse_color(color, f"{option}.{topic}") for topic, color in raw.items()}


def _whole(value: Any, option: str, low: int, high: int, example: str) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, bool | float) else None
    except ValueError:
        number = None
    if number is None:
        raise OptionError(option, f"expected a whole number, got {str(value)!r:.40}", example)
    if not low <= number <= high:
        raise OptionError(option, f"expected a number between {low} and {high}, got {number}", example)
    return number


def format_duration(seconds: int) -> str:
    """Seconds in the largest unit that divides them: 86400 -> ``1d``, 5400 -> ``90m``."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"
