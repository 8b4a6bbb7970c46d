"""Time zone names from the config file and /digest schedule."""

from __future__ import annotations

import pytest

from bot.options import OptionError
from bot.timezones import parse_timezone, suggest_timezones


def test_timezone_is_matched_case_insensitively_and_unknown_ones_are_refused() -> None:
    assert parse_timezone("europe/vienna") == "Europe/Vienna"
    assert parse_timezone(" UTC ") == "UTC"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "CEST+2"):
        with pytest.raises(OptionError) as info:
            parse_timezone(bad)
        assert info.value.option == "timezone" and info.value.example == "Europe/Vienna"


def test_timezone_autocomplete() -> None:
    assert "Europe/Vienna" in suggest_timezones("vien")
    assert suggest_timezones("new_y")[0] == "America/New_York"
    assert suggest_timezones("new y")[0] == "America/New_York"
    assert len(suggest_timezones("")) <= 25 and "UTC" in suggest_timezones("")
    assert len(suggest_timezones("a")) == 25
