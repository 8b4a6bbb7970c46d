"""Dates in story files, parsed from text: the front matter loader never builds them, so an impossible date
(``2026-02-30``) is one field's error instead of an exception from inside the YAML library."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.render.text import as_utc
from bot.stories.story import StoryError

# YAML 1.1's timestamp form (what PyYAML used to turn into dates): a date, optionally a time with any fraction
# and a zone that may follow a space and have a one-digit hour (``2001-12-14 21:59:43.10 -5``).
_YAML_TIMESTAMP = re.compile(
    r"""^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
    (?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<tz>Z|z|(?P<sign>[-+])(?P<tz_hour>[0-9]{1,2})(?::(?P<tz_minute>[0-9]{2}))?))?)?$""",
    re.X,
)


def parse_datetime(value: Any, path: str, field: str) -> datetime | None:
    """A date-time field as an aware UTC datetime; None when empty. A time without a zone is UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # a caller's own data: the loader never builds one
        return as_utc(value)
    if not isinstance(value, str):
        raise StoryError(path, f"expected an ISO 8601 date-time, got {_kind(value)}", field)
    text = value.strip()
    match = _YAML_TIMESTAMP.match(text)
    try:
        parsed = _from_match(match) if match else datetime.fromisoformat(text.replace("Z", "+00:00"))
        # A time without a zone is taken as UTC, the convention of the feeds these files come from.
        return as_utc(parsed)
    except (ValueError, OverflowError) as exc:
        if match or isinstance(exc, OverflowError):
            raise StoryError(path, f"not a real date or time: {value!r:.40} ({exc})", field) from None
        raise StoryError(path, f"expected an ISO 8601 date-time, got {value!r:.40}", field) from None


def _from_match(match: re.Match[str]) -> datetime:
    """The datetime the parts name; ValueError for an impossible one (month 13, 30 February, hour 25)."""
    parts = match.groupdict()
    year, month, day = int(parts["year"]), int(parts["month"]), int(parts["day"])
    if not parts["hour"]:
        return datetime(year, month, day, tzinfo=UTC)
    fraction = int((parts["fraction"] or "")[:6].ljust(6, "0"))
    zone = None
    if parts["sign"]:
        offset = timedelta(hours=int(parts["tz_hour"]), minutes=int(parts["tz_minute"] or 0))
        if offset >= timedelta(hours=24):
            raise ValueError("zone offset beyond 24 hours")
        zone = timezone(-offset if parts["sign"] == "-" else offset)
    elif parts["tz"]:
        zone = UTC
    hour, minute, second = int(parts["hour"]), int(parts["minute"]), int(parts["second"])
    return datetime(year, month, day, hour, minute, second, fraction, tzinfo=zone)


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list"}
    return names.get(type(value), type(value).__name__)
