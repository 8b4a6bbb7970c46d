"""Digest schedules: parsing time/days/cron/timezone, and run times across the 2026 daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest_schedule import Schedule, build_schedule, parse_cron, parse_days, parse_time
from bot.options import OptionError

VIENNA, NEW_YORK = ZoneInfo("Europe/Vienna"), ZoneInfo("America/New_York")


def schedule(time: str | None = None, days: str | None = None, cron: str | None = None, tz: str = "UTC") -> Schedule:
    return build_schedule(time=time, days=days, cron=cron, timezone=tz)


def local_runs(sched: Schedule, start: datetime, count: int) -> list[datetime]:
    zone = ZoneInfo(sched.timezone)
    # Through UTC: astimezone() to a run's own zone would return it unchanged, not normalised.
    return [run.astimezone(UTC).astimezone(zone) for run in sched.runs(start, count)]


@pytest.mark.parametrize(("text", "expected"), [("09:00", (9, 0)), ("9:05", (9, 5)), (" 23:59 ", (23, 59))])
def test_time_accepts_24_hour_clock(text: str, expected: tuple[int, int]) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "09:60", "9am", "09:00:00", ""])
def test_bad_time_names_the_option_and_shows_an_example(text: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_time(text)
    assert info.value.option == "time" and info.value.example == "09:00"


@pytest.mark.parametrize(
    ("text", "field", "label"),
    [
        (None, "*", "daily"),
        ("Daily", "*", "daily"),
        ("weekdays", "mon,tue,wed,thu,fri", "weekdays"),
        ("weekends", "sat,sun", "weekends"),
        ("fri, mon,wed", "mon,wed,fri", "mon, wed, fri"),
        ("Monday,Tuesday", "mon,tue", "mon, tue"),
        ("fri-mon", "mon,fri,sat,sun", "mon, fri, sat, sun"),
        ("mon-sun", "*", "daily"),
    ],
)
def test_days(text: str | None, field: str, label: str) -> None:
    assert parse_days(text) == (field, label)


@pytest.mark.parametrize("text", ["funday", "mon,xyz", ",", "mon-"])
def test_bad_days_name_the_option(text: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_days(text)
    assert info.value.option == "days" and "weekdays" in info.value.example


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("0 9 * * 1-5", "0 9 * * mon,tue,wed,thu,fri"),  # cron's 1 is Monday (APScheduler's 1 would be Tuesday)
        ("0 9 * * 0", "0 9 * * sun"),
        ("0 9 * * 7", "0 9 * * sun"),
        ("0 9 * * 5-7", "0 9 * * fri,sat,sun"),
        ("0 9 * * fri-sun", "0 9 * * fri,sat,sun"),
        ("0 9 * * */2", "0 9 * * tue,thu,sat,sun"),
        ("0 9 * * MON,wed", "0 9 * * mon,wed"),
        ("*/15 6-18 * * *", "*/15 6-18 * * *"),
        ("30 7 1 * *", "30 7 1 * *"),
    ],
)
def test_cron_day_of_week_means_what_cron_means(text: str, normalised: str) -> None:
    assert parse_cron(text) == normalised


def test_cron_weekdays_fire_monday_to_friday() -> None:
    runs = schedule(cron="0 9 * * 1-5").runs(datetime(2026, 11, 21, tzinfo=UTC), 5)  # a Saturday
    assert [r.strftime("%a") for r in runs] == ["Mon", "Tue", "Wed", "Thu", "Fri"]


@pytest.mark.parametrize("text", ["0 9 * *", "0 9 * * * *", "61 9 * * *", "0 25 * * *", "0 9 * * 8", "0 9 1 * mon"])
def test_bad_cron_names_the_option(text: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_cron(text)
    assert info.value.option == "cron" and info.value.example


def test_cron_and_time_together_are_refused() -> None:
    with pytest.raises(OptionError) as info:
        schedule(time="09:00", cron="0 9 * * *")
    assert info.value.option == "cron"


def test_time_is_required_without_cron() -> None:
    with pytest.raises(OptionError) as info:
        schedule()
    assert info.value.option == "time"


def test_default_timezone_applies_when_none_is_given() -> None:
    sched = build_schedule(time="09:00", days=None, cron=None, timezone=None, default_timezone="Asia/Tokyo")
    assert sched.timezone == "Asia/Tokyo" and sched.describe() == "09:00 daily (Asia/Tokyo)"


@pytest.mark.parametrize(
    ("tz", "start", "change"),
    [
        (VIENNA, datetime(2026, 3, 26, 12, tzinfo=UTC), date(2026, 3, 29)),  # clocks go forward
        (VIENNA, datetime(2026, 10, 22, 12, tzinfo=UTC), date(2026, 10, 25)),  # clocks go back
        (NEW_YORK, datetime(2026, 3, 5, 18, tzinfo=UTC), date(2026, 3, 8)),
        (NEW_YORK, datetime(2026, 10, 29, 18, tzinfo=UTC), date(2026, 11, 1)),
    ],
)
def test_daily_0900_is_0900_local_every_day_across_dst(tz: ZoneInfo, start: datetime, change: date) -> None:
    sched = schedule(time="09:00", tz=str(tz))
    runs = local_runs(sched, start, 7)
    assert [(r.hour, r.minute) for r in runs] == [(9, 0)] * 7
    days = [r.date() for r in runs]
    assert days == [days[0] + timedelta(days=i) for i in range(7)], "once a day: never twice, never skipped"
    assert change in days
    offsets = {r.utcoffset() for r in runs}
    assert len(offsets) == 2, "the runs straddle the change, so the UTC time moves by an hour"


@pytest.mark.parametrize(
    ("tz", "time", "start", "day"),
    [
        (VIENNA, "02:30", datetime(2026, 10, 23, tzinfo=UTC), date(2026, 10, 25)),
        (NEW_YORK, "01:30", datetime(2026, 10, 30, tzinfo=UTC), date(2026, 11, 1)),
    ],
)
def test_a_time_in_the_repeated_hour_runs_once(tz: ZoneInfo, time: str, start: datetime, day: date) -> None:
    runs = local_runs(schedule(time=time, tz=str(tz)), start, 5)
    days = [r.date() for r in runs]
    assert len(set(days)) == 5 and days.count(day) == 1


@pytest.mark.parametrize(
    ("tz", "start", "day"),
    [
        (VIENNA, datetime(2026, 3, 27, tzinfo=UTC), date(2026, 3, 29)),
        (NEW_YORK, datetime(2026, 3, 6, tzinfo=UTC), date(2026, 3, 8)),
    ],
)
def test_a_time_in_the_skipped_hour_still_runs_that_day(tz: ZoneInfo, start: datetime, day: date) -> None:
    runs = local_runs(schedule(time="02:30", tz=str(tz)), start, 4)
    on_the_day = [r for r in runs if r.date() == day]
    assert len(on_the_day) == 1 and on_the_day[0].hour == 3  # 02:30 does not exist; it runs an hour later
    assert len({r.date() for r in runs}) == 4


def test_an_hourly_schedule_runs_in_both_copies_of_the_repeated_hour() -> None:
    runs = schedule(cron="0 * * * *", tz="Europe/Vienna").runs(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), 4)
    assert [r.astimezone(UTC).hour for r in runs] == [0, 1, 2, 3]  # 02:00 CEST, 02:00 CET, 03:00, 04:00 local


def test_the_trigger_survives_pickling_as_apscheduler_stores_it() -> None:
    import pickle

    trigger = schedule(time="02:30", tz="Europe/Vienna").trigger()
    restored = pickle.loads(pickle.dumps(trigger))
    start = datetime(2026, 10, 24, 23, tzinfo=UTC)
    assert restored.get_next_fire_time(None, start) == trigger.get_next_fire_time(None, start)
    first = restored.get_next_fire_time(None, start)
    assert restored.get_next_fire_time(first, first).date() == date(2026, 10, 26)


def test_period_is_the_interval_before_now() -> None:
    vienna_mwf = schedule(time="09:00", days="mon,wed,fri", tz="Europe/Vienna")
    monday_run = datetime(2026, 11, 23, 8, 0, 5, tzinfo=UTC)  # 09:00:05 in Vienna, a Monday
    assert vienna_mwf.period_before(monday_run) == timedelta(days=3)
    assert vienna_mwf.period_before(monday_run + timedelta(days=2)) == timedelta(days=2)
    assert schedule(cron="*/5 * * * *").period_before(monday_run) == timedelta(minutes=5)
    assert schedule(time="07:00").period_before(monday_run) == timedelta(days=1)
    # Across the spring change a local day is 23 hours long.
    assert schedule(time="09:00", tz="Europe/Vienna").period_before(
        datetime(2026, 3, 29, 7, 0, 1, tzinfo=UTC)
    ) == timedelta(hours=23)
