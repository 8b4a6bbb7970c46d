"""IANA time zone names: parsing what an admin typed or wrote in the config file, and autocomplete.

Low-level (no feature imports), so the config file's ``scheduler.timezone`` and digest schedules share it.
"""

from __future__ import annotations

import functools
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.options import OptionError

TIMEZONE_EXAMPLE = "Europe/Vienna"
POPULAR_TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@functools.cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def parse_timezone(text: Any) -> str:
    """The canonical IANA name for ``text`` (matched case-insensitively), e.g. ``europe/vienna`` → ``Europe/Vienna``."""
    name = _zones().get(str(text).strip().casefold())
    if name is None:
        raise OptionError("timezone", f"unknown time zone {str(text).strip()!r}; use an IANA name", TIMEZONE_EXAMPLE)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError("timezone", f"time zone {name!r} cannot be loaded", TIMEZONE_EXAMPLE) from None
    return name


def suggest_timezones(typed: str, limit: int = 25) -> list[str]:
    """Autocomplete: names containing what was typed, those starting with it (or its city) first."""
    needle = typed.strip().casefold().replace(" ", "_")
    if not needle:
        return list(POPULAR_TIMEZONES[:limit])
    names = sorted(_zones().values())
    starts = [n for n in names if n.casefold().startswith(needle) or n.rsplit("/", 1)[-1].casefold().startswith(needle)]
    contains = [n for n in names if needle in n.casefold() and n not in starts]
    return (starts + contains)[:limit]
