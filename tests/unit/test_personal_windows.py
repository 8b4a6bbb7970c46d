"""A member's clock: quiet hours across midnight and DST nights, their day, their digest's runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.options import OptionError
from bot.personal.windows import day_start, digest_due, digest_schedule, next_digest, quiet_until

BERLIN = "Europe/Berlin"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def test_quiet_window_across_midnight_holds_until_the_morning() -> None:
    # 23:30 and 03:00 Berlin (winter, UTC+1) are both in 22:00-07:00, which ends at 07:00 local = 06:00 UTC.
    assert quiet_until(utc(2026, 1, 14, 22, 30), "22:00", "07:00", BERLIN) == utc(2026, 1, 15, 6, 0)
    assert quiet_until(utc(2026, 1, 15, 2, 0), "22:00", "07:00", BERLIN) == utc(2026, 1, 15, 6, 0)


def test_outside_the_window_and_its_edges() -> None:
    assert quiet_until(utc(2026, 1, 15, 12, 0), "22:00", "07:00", BERLIN) is None
    assert quiet_until(utc(2026, 1, 15, 6, 0), "22:00", "07:00", BERLIN) is None, "the end is not quiet"
    assert quiet_until(utc(2026, 1, 14, 21, 0), "22:00", "07:00", BERLIN) == utc(2026, 1, 15, 6, 0), "start is"


def test_a_daytime_window_and_no_window() -> None:
    assert quiet_until(utc(2026, 1, 15, 12, 0), "12:00", "14:00", "UTC") == utc(2026, 1, 15, 14, 0)
    assert quiet_until(utc(2026, 1, 15, 15, 0), "12:00", "14:00", "UTC") is None
    assert quiet_until(utc(2026, 1, 15, 12, 0), None, "14:00", "UTC") is None
    assert quiet_until(utc(2026, 1, 15, 12, 0), "12:00", "12:00", "UTC") is None


def test_quiet_night_when_the_clocks_go_forward() -> None:
    # 29 March 2026: 02:00 CET becomes 03:00 CEST. The night is an hour short: 07:00 CEST is 05:00 UTC.
    assert quiet_until(utc(2026, 3, 29, 4, 30), "22:00", "07:00", BERLIN) == utc(2026, 3, 29, 5, 0)
    assert quiet_until(utc(2026, 3, 29, 5, 0), "22:00", "07:00", BERLIN) is None
    # An end inside the skipped hour (02:30 never happens) lands just after the gap: 03:30 CEST, 01:30 UTC.
    assert quiet_until(utc(2026, 3, 29, 0, 30), "01:00", "02:30", BERLIN) == utc(2026, 3, 29, 1, 30)


def test_quiet_night_when_the_clocks_go_back() -> None:
    # 25 October 2026: 03:00 CEST becomes 02:00 CET. The night is an hour long: 07:00 CET is 06:00 UTC.
    assert quiet_until(utc(2026, 10, 25, 5, 30), "22:00", "07:00", BERLIN) == utc(2026, 10, 25, 6, 0)
    assert quiet_until(utc(2026, 10, 24, 20, 0), "22:00", "07:00", BERLIN) == utc(2026, 10, 25, 6, 0)
    # A window ending in the repeated hour ends at its first occurrence (02:30 CEST, 00:30 UTC).
    assert quiet_until(utc(2026, 10, 25, 0, 0), "01:00", "02:30", BERLIN) == utc(2026, 10, 25, 0, 30)


def test_bad_clock_text_names_the_time() -> None:
    with pytest.raises(OptionError):
        quiet_until(utc(2026, 1, 15, 12, 0), "25:00", "07:00", "UTC")


def test_the_members_day_starts_at_their_midnight() -> None:
    assert day_start(utc(2026, 1, 15, 12, 0), BERLIN) == utc(2026, 1, 14, 23, 0)
    # Past local midnight but before UTC's: already the next day for the member.
    assert day_start(utc(2026, 1, 15, 23, 30), BERLIN) == utc(2026, 1, 15, 23, 0)
    # On the spring-forward day midnight was still winter time.
    assert day_start(utc(2026, 3, 29, 12, 0), BERLIN) == utc(2026, 3, 28, 23, 0)
    assert day_start(utc(2026, 1, 15, 12, 0), "America/New_York") == utc(2026, 1, 15, 5, 0)


def test_digest_due_once_after_missed_runs_and_dst_safe() -> None:
    schedule = digest_schedule("08:00", "daily", BERLIN)
    last = utc(2026, 3, 27, 7, 0)  # 08:00 CET on the 27th
    now = utc(2026, 3, 29, 7, 0)  # 09:00 CEST on the 29th: the runs of the 28th and 29th were missed
    due = digest_due(schedule, last, now)
    assert due == utc(2026, 3, 29, 6, 0), "only the latest missed run, at 08:00 summer time"
    assert digest_due(schedule, due, now) is None, "caught up once"
    assert digest_due(schedule, last, utc(2026, 3, 27, 8, 0)) is None, "nothing owed between runs"


def test_next_digest_and_days() -> None:
    daily = digest_schedule("08:00", None, BERLIN)
    assert next_digest(daily, utc(2026, 3, 28, 7, 0)) == utc(2026, 3, 29, 6, 0), "23 hours later across DST"
    weekdays = digest_schedule("08:00", "weekdays", "UTC")
    # Friday 16 January 2026 09:00: the next weekday run is Monday.
    assert next_digest(weekdays, utc(2026, 1, 16, 9, 0)) == utc(2026, 1, 19, 8, 0)
