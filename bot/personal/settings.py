"""A member's ``/follow settings`` options, checked (pure): each error is one line naming the option.

Times and days are read by the digest schedule's own parsers and time zones by ``bot.timezones``, so a member's
``08:00``, ``weekdays`` and ``Europe/Berlin`` mean exactly what they mean in ``/digest schedule``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.digest_schedule import TIME_EXAMPLE, parse_days, parse_time
from bot.options import OptionError
from bot.store.follows import MemberSettings
from bot.timezones import parse_timezone

T = TypeVar("T")
OFF = ("off", "none", "no")  # clears digest_time or quiet
CAP_RANGE = (1, 500)
QUIET_EXAMPLE = "22:00-07:00"


@dataclass(frozen=True, slots=True)
class SettingsInput:
    """What the member typed, as Discord sent it (None: the option was not given)."""

    daily_cap: int | None = None
    digest_time: str | None = None
    timezone: str | None = None
    days: str | None = None
    quiet: str | None = None

    @property
    def empty(self) -> bool:
        return all(value is None for value in (self.daily_cap, self.digest_time, self.timezone, self.days, self.quiet))


def parse_settings(typed: SettingsInput) -> dict[str, Any]:
    """The member_settings columns to write (None clears one); raises :class:`OptionError` naming the option."""
    changes: dict[str, Any] = {}
    if typed.daily_cap is not None:
        changes["daily_cap"] = parse_daily_cap(typed.daily_cap)
    if typed.digest_time is not None:
        changes["digest_time"] = None if _is_off(typed.digest_time) else parse_clock(typed.digest_time, "digest_time")
    if typed.timezone is not None:
        changes["timezone"] = parse_timezone(typed.timezone)
    if typed.days is not None:
        changes["digest_days"] = parse_digest_days(typed.days)
    if typed.quiet is not None:
        start, end = (None, None) if _is_off(typed.quiet) else parse_quiet(typed.quiet)
        changes["quiet_start"], changes["quiet_end"] = start, end
    return changes


def parse_daily_cap(value: Any) -> int:
    low, high = CAP_RANGE
    try:
        cap = int(str(value).strip())
    except ValueError:
        raise OptionError("daily_cap", f"expected a whole number, got {str(value)!r:.40}", "20") from None
    if not low <= cap <= high:
        raise OptionError("daily_cap", f"expected {low} to {high}, got {cap}", "20")
    return cap


def parse_clock(text: str, option: str) -> str:
    """``8:00`` -> ``08:00`` (24-hour clock)."""
    hour, minute = _renamed(option, parse_time, text)
    return f"{hour:02d}:{minute:02d}"


def parse_digest_days(text: str) -> str:
    """``mon, thu`` -> ``mon,thu``; ``weekdays`` and ``daily`` as they are (what ``/digest``'s ``days`` takes)."""
    _field, label = _renamed("days", parse_days, text)
    return label.replace(", ", ",")


def parse_quiet(text: str) -> tuple[str, str]:
    """``22:00-07:00`` -> (start, end); across midnight is fine, an empty window (start = end) is not."""
    parts = text.replace("–", "-").split("-")
    if len(parts) != 2:
        raise OptionError("quiet", f"expected HH:MM-HH:MM, got {text.strip()!r:.40}", QUIET_EXAMPLE)
    start, end = (parse_clock(part, "quiet") for part in parts)
    if start == end:
        raise OptionError("quiet", "the start and end are the same time", QUIET_EXAMPLE)
    return start, end


def describe(settings: MemberSettings, *, default_cap: int, default_timezone: str) -> list[str]:
    """The member's settings, one line each, for ``/follow settings`` without options."""
    cap = settings.daily_cap or default_cap
    digest = "off (set `digest_time` to get one)"
    if settings.digest_time:
        digest = f"{settings.digest_time} {settings.digest_days or 'daily'}"
    quiet = f"{settings.quiet_start}-{settings.quiet_end}" if settings.quiet_start and settings.quiet_end else "off"
    lines = [
        f"Daily cap: {cap} instant DMs{'' if settings.daily_cap else ' (the default)'}",
        f"Digest: {digest}",
        f"Time zone: {settings.timezone or default_timezone}",
        f"Quiet hours: {quiet}",
    ]
    if settings.paused:
        why = "your DMs are closed" if settings.paused_reason == "dms_closed" else "you paused them"
        lines.append(f"Paused: yes ({why}); /following resumes")
    return lines


def _is_off(text: str) -> bool:
    return text.strip().casefold() in OFF


def _renamed(option: str, parse: Callable[[str], T], text: str) -> T:
    """Run a shared parser, naming the member's option in its error instead of the parser's own."""
    try:
        return parse(text)
    except OptionError as exc:
        example = TIME_EXAMPLE if exc.option == "time" else exc.example
        raise OptionError(option, exc.reason, QUIET_EXAMPLE if option == "quiet" else example) from None
