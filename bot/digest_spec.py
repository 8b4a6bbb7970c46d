"""What an admin declares for a digest, from ``/digest schedule`` or the ``digests:`` list of the config file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.digest_schedule import CRON_EXAMPLE, DAYS_EXAMPLE, Schedule, build_schedule
from bot.options import OptionError
from bot.timezones import TIMEZONE_EXAMPLE

NAME_EXAMPLE = "morning-briefing"
TOPICS_EXAMPLE = "AI, Security"
MAX_ITEMS_LIMIT = 25
MIN_ITEMS_LIMIT = 100
CONFIG_KEYS = frozenset(
    {"name", "channel", "time", "days", "cron", "timezone", "topics", "min_quality", "max_items", "min_items", "rank"}
)
# How a digest orders its stories: by quality and heat (default), or by the community's discussion.
RANK_DEFAULT, RANK_DISCUSSED = "default", "discussed"
RANKS = (RANK_DEFAULT, RANK_DISCUSSED)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class DigestSpec:
    name: str
    channel_id: int
    schedule: Schedule
    topics: tuple[str, ...] = ()  # empty: every topic
    min_quality: int = 0
    max_items: int = 10
    min_items: int = 1
    rank: str = RANK_DEFAULT  # RANK_DEFAULT or RANK_DISCUSSED

    @property
    def discussed(self) -> bool:
        return self.rank == RANK_DISCUSSED

    @property
    def topic_keys(self) -> frozenset[str]:
        return frozenset(t.casefold() for t in self.topics)

    def describe_filters(self) -> str:
        topics = ", ".join(self.topics) if self.topics else "all topics"
        quality = f", quality ≥ {self.min_quality}" if self.min_quality else ""
        ranked = ", most discussed first" if self.discussed else ""
        return f"{topics}{quality}, up to {self.max_items} stories, at least {self.min_items}{ranked}"


def make_spec(
    *,
    name: str,
    channel_id: int,
    time: str | None = None,
    days: str | None = None,
    cron: str | None = None,
    timezone: str | None = None,
    topics: Any = None,
    min_quality: Any = 0,
    max_items: Any = 10,
    min_items: Any = 1,
    rank: Any = None,
    default_timezone: str = "UTC",
) -> DigestSpec:
    """Validate every option; the first bad one raises ``OptionError`` naming it."""
    return DigestSpec(
        name=parse_name(name),
        channel_id=channel_id,
        schedule=build_schedule(time=time, days=days, cron=cron, timezone=timezone, default_timezone=default_timezone),
        topics=parse_digest_topics(topics),
        min_quality=_whole("min_quality", min_quality, 0, 100, "60"),
        max_items=_whole("max_items", max_items, 1, MAX_ITEMS_LIMIT, "10"),
        min_items=_whole("min_items", min_items, 1, MIN_ITEMS_LIMIT, "3"),
        rank=parse_rank(rank),
    )


def specs_from_config(items: list[Any], default_timezone: str) -> tuple[DigestSpec, ...]:
    """The config file's ``digests:`` list. An ``OptionError`` here names the full key, e.g. ``digests[0].time``."""
    specs: list[DigestSpec] = []
    for index, item in enumerate(items):
        key = f"digests[{index}]"
        if not isinstance(item, Mapping):
            raise OptionError(key, f"expected a mapping of keys, got {type(item).__name__}", f"name: {NAME_EXAMPLE}")
        unknown = sorted(str(k) for k in item if k not in CONFIG_KEYS)
        if unknown:
            raise OptionError(f"{key}.{unknown[0]}", f"unknown key; expected one of {', '.join(sorted(CONFIG_KEYS))}")
        try:
            spec = spec_from_mapping(item, _channel(item.get("channel")), default_timezone)
        except OptionError as exc:
            raise OptionError(f"{key}.{exc.option}", exc.reason, exc.example) from None
        if any(s.name == spec.name for s in specs):
            raise OptionError(f"{key}.name", f"another digest is already named {spec.name!r}", NAME_EXAMPLE)
        specs.append(spec)
    return tuple(specs)


def spec_from_mapping(entry: Mapping[str, Any], channel_id: int, default_timezone: str) -> DigestSpec:
    """One ``digests:`` entry (keys already checked against ``CONFIG_KEYS``)."""
    if "name" not in entry:
        raise OptionError("name", "missing: a short name for the digest", NAME_EXAMPLE)
    time = entry.get("time")
    if isinstance(time, int) and not isinstance(time, bool):
        # YAML 1.1 reads an unquoted 21:30 as the base-60 number 1290.
        raise OptionError("time", "write the time in quotes, or YAML reads it as a number", 'time: "09:00"')
    return make_spec(
        name=_text("name", entry.get("name")) or "",  # `name:` left empty: parse_name rejects "" with the hint
        channel_id=channel_id,
        time=_text("time", time),
        days=_text("days", entry.get("days")),
        cron=_text("cron", entry.get("cron")),
        timezone=_text("timezone", entry.get("timezone")),
        topics=entry.get("topics"),
        min_quality=entry.get("min_quality", 0),
        max_items=entry.get("max_items", 10),
        min_items=entry.get("min_items", 1),
        rank=entry.get("rank"),
        default_timezone=default_timezone,
    )


def _channel(value: Any) -> int:
    example = "channel: 123456789012345678"
    if value is None:
        raise OptionError("channel", "missing: the id of the Discord channel to post to", example)
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) <= 0:
        raise OptionError("channel", f"expected a Discord channel id (a positive number), got {value!r}", example)
    return int(text)


def parse_name(text: Any) -> str:
    name = str(text or "").strip().lower()
    if not _NAME.match(name):
        raise OptionError(
            "name", f"use 1-32 letters, digits, '-' or '_', starting with a letter or digit; got {name!r}", NAME_EXAMPLE
        )
    return name


def parse_rank(value: Any) -> str:
    """``rank``: default (quality and heat; also when left out) or discussed."""
    if value is None:
        return RANK_DEFAULT
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in RANKS:
        raise OptionError("rank", f"expected {' or '.join(RANKS)}, got {value!r}", f"rank: {RANK_DISCUSSED}")
    return text


def parse_digest_topics(value: Any) -> tuple[str, ...]:
    """A digest's topics from comma-separated text or a list; duplicates (ignoring case) are dropped.

    Empty (or ``*``) gives ``()``, which ``DigestSpec.topics`` reads as every topic; routes spell that None
    instead, see ``bot.options.parse_route_topics``.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        raise OptionError("topics", f"expected comma-separated topics, got {type(value).__name__}", TOPICS_EXAMPLE)
    topics: dict[str, str] = {}
    for item in items:
        topic = " ".join(item.split())
        if len(topic) > 100:
            raise OptionError("topics", f"topic {topic[:20]!r}… is over 100 characters", TOPICS_EXAMPLE)
        if topic and topic != "*":
            topics.setdefault(topic.casefold(), topic)
    return tuple(topics.values())


def _whole(option: str, value: Any, low: int, high: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(option, f"expected a whole number from {low} to {high}, got {value!r}", example)
    if not low <= value <= high:
        raise OptionError(option, f"expected a whole number from {low} to {high}, got {value}", example)
    return value


def _text(option: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    examples = {"name": NAME_EXAMPLE, "time": '"09:00"', "days": DAYS_EXAMPLE, "cron": f'"{CRON_EXAMPLE}"'}
    raise OptionError(option, f"expected text, got {type(value).__name__}", examples.get(option, TIMEZONE_EXAMPLE))
