"""When a digest runs: ``time`` + ``days`` or a five-field ``cron``, in an IANA time zone.

A schedule is stored as a normalised five-field cron line whose day-of-week field uses names (``mon``…``sun``):
APScheduler numbers days from Monday = 0 while cron numbers them from Sunday = 0, so names are the only
spelling both read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.options import OptionError
from bot.timezones import parse_timezone

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # display and APScheduler order
_CRON_NUMBERS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: 0 (and 7) is Sunday
_FULL_NAMES = {
    name: name[:3] for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
_DAY_SETS = {"daily": WEEK, "everyday": WEEK, "every day": WEEK, "weekdays": WEEK[:5], "weekends": WEEK[5:]}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_HOUR_FIELD = CronTrigger.FIELD_NAMES.index("hour")
# How far back to look for a schedule's previous runs, shortest first, so a frequent schedule stays cheap.
_LOOKBACK = tuple(timedelta(minutes=m) for m in (2, 120, 2 * 1440, 9 * 1440, 63 * 1440, 800 * 1440, 3000 * 1440))

TIME_EXAMPLE = "09:00"
DAYS_EXAMPLE = "daily, weekdays, weekends or mon,wed,fri"
CRON_EXAMPLE = "0 9 * * mon-fri"


class LocalCronTrigger(CronTrigger):
    """A cron trigger that fires a fixed wall-clock time once on the night the clocks go back.

    APScheduler matches wall-clock fields, so 02:30 matches twice when 02:00–03:00 repeats (once in summer
    time, once in winter time). cron runs such a job once, and a daily digest must not post twice; an hourly
    schedule (hour ``*``) still fires in both copies of the repeated hour, as cron does.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        if str(self.fields[_HOUR_FIELD]) == "*":
            return fire
        while fire is not None and _repeats_wall_time(fire):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def _repeats_wall_time(moment: datetime) -> bool:
    """Whether ``moment`` is the second occurrence of its wall-clock time (the hour repeated at fall-back)."""
    first = moment.replace(fold=0)
    return first.utcoffset() != moment.utcoffset() and first.astimezone(UTC) < moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Schedule:
    cron: str  # minute hour day month day-of-week, the last one as names
    timezone: str
    label: str  # how the admin wrote it, for display: "09:00 weekdays" or "cron 0 9 * * 1-5"

    def trigger(self) -> LocalCronTrigger:
        minute, hour, day, month, day_of_week = self.cron.split()
        return LocalCronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=ZoneInfo(self.timezone)
        )

    def describe(self) -> str:
        return f"{self.label} ({self.timezone})"

    def runs(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` run times from ``after`` on (inclusive), as APScheduler will fire them."""
        trigger = self.trigger()
        found: list[datetime] = []
        fire = trigger.get_next_fire_time(None, after)
        while fire is not None and len(found) < count:
            found.append(fire)
            fire = trigger.get_next_fire_time(fire, fire)
        return found

    def last_run(self, now: datetime) -> datetime | None:
        """The latest run time at or before ``now``: which scheduled run a job firing now (or late) stands for."""
        trigger = self.trigger()
        for span in _LOOKBACK:
            last = None
            fire = trigger.get_next_fire_time(None, now - span)
            while fire is not None and fire <= now:
                last = fire
                fire = trigger.get_next_fire_time(fire, fire)
            if last is not None:
                return last
        return None

    def period_before(self, now: datetime) -> timedelta:
        """The interval between the last two runs at or before ``now``: what "one period back" means."""
        trigger = self.trigger()
        for span in _LOOKBACK:
            fires: list[datetime] = []
            fire = trigger.get_next_fire_time(None, now - span)
            while fire is not None and fire <= now:
                fires.append(fire)
                fire = trigger.get_next_fire_time(fire, fire)
            if len(fires) >= 2:
                # In UTC: subtracting two times of one zone ignores a daylight-saving change between them.
                return fires[-1].astimezone(UTC) - fires[-2].astimezone(UTC)
        return timedelta(days=1)


def build_schedule(
    *, time: str | None, days: str | None, cron: str | None, timezone: str | None, default_timezone: str = "UTC"
) -> Schedule:
    zone = parse_timezone(timezone) if timezone and timezone.strip() else parse_timezone(default_timezone)
    if cron and cron.strip():
        if (time and time.strip()) or (days and days.strip()):
            raise OptionError("cron", "give either cron or time/days, not both", CRON_EXAMPLE)
        normalised = parse_cron(cron)
        return Schedule(normalised, zone, f"cron {' '.join(cron.split())}")
    if not time or not time.strip():
        raise OptionError("time", "missing: when the digest is posted, as HH:MM (or give cron instead)", TIME_EXAMPLE)
    hour, minute = parse_time(time)
    day_field, day_label = parse_days(days)
    return Schedule(f"{minute} {hour} * * {day_field}", zone, f"{hour:02d}:{minute:02d} {day_label}")


def parse_time(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise OptionError("time", f"expected HH:MM on a 24-hour clock, got {text.strip()!r}", TIME_EXAMPLE)
    return int(match.group(1)), int(match.group(2))


def parse_days(text: str | None) -> tuple[str, str]:
    """(day-of-week cron field, label) for ``daily``, ``weekdays``, ``weekends`` or a list like ``mon,wed,fri``."""
    words = " ".join((text or "daily").strip().lower().split())
    if words in _DAY_SETS:
        days = _DAY_SETS[words]
        return ("*" if len(days) == 7 else ",".join(days)), ("daily" if len(days) == 7 else words)
    chosen: set[str] = set()
    for part in (p.strip() for p in words.replace(" ", ",").split(",")):
        if not part:
            continue
        ends = [_day_name(end) for end in part.split("-", 1)]
        if None in ends:
            raise OptionError("days", f"unknown day {part!r}", DAYS_EXAMPLE)
        first, last = WEEK.index(str(ends[0])), WEEK.index(str(ends[-1]))
        chosen.update(WEEK[first : last + 1] if first <= last else WEEK[first:] + WEEK[: last + 1])
    if not chosen:
        raise OptionError("days", "expected at least one day", DAYS_EXAMPLE)
    ordered = [d for d in WEEK if d in chosen]
    if len(ordered) == 7:
        return "*", "daily"
    return ",".join(ordered), ", ".join(ordered)


def _day_name(word: str) -> str | None:
    word = _FULL_NAMES.get(word, word)
    return word if word in WEEK else None


def parse_cron(text: str) -> str:
    """Validate a five-field cron line and return it with the day-of-week field spelled as names."""
    fields = text.split()
    if len(fields) != 5:
        raise OptionError(
            "cron", f"expected five fields (minute hour day month weekday), got {len(fields)}", CRON_EXAMPLE
        )
    minute, hour, day, month, weekday = (f.lower() for f in fields)
    weekday = _cron_weekdays(weekday)
    if day != "*" and weekday != "*":
        # cron runs when either matches, APScheduler only when both do: refuse rather than guess.
        raise OptionError("cron", "restrict the day of the month or the day of the week, not both", CRON_EXAMPLE)
    normalised = f"{minute} {hour} {day} {month} {weekday}"
    try:
        Schedule(normalised, "UTC", "").trigger()
    except ValueError as exc:
        raise OptionError("cron", str(exc), CRON_EXAMPLE) from None
    return normalised


def _cron_weekdays(field: str) -> str:
    """cron's day-of-week field (numbers 0-7 with Sunday 0 and 7, or names) as a list of names."""
    chosen: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _cron_int(step_text, 1, 7) if step_text else 1
        if base == "*":
            low, high = 0, 6
        else:
            low_text, _, high_text = base.partition("-")
            low = _cron_day(low_text)
            high = _cron_day(high_text) if high_text else (6 if step_text else low)
            if high_text and high == 0 and low > 0:
                high = 7  # "fri-sun" / "5-7": Sunday closes the range
        if low > high:
            raise OptionError("cron", f"day-of-week range {base!r} runs backwards", CRON_EXAMPLE)
        chosen.update(d % 7 for d in range(low, high + 1, step))
    if len(chosen) == 7:
        return "*"
    return ",".join(d for d in WEEK if _CRON_NUMBERS.index(d) in chosen)


def _cron_day(text: str) -> int:
    if text in _CRON_NUMBERS:
        return _CRON_NUMBERS.index(text)
    return _cron_int(text, 0, 7)


def _cron_int(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise OptionError("cron", f"bad day-of-week value {text!r} (0-7 or sun-sat)", CRON_EXAMPLE)
    return int(text)
