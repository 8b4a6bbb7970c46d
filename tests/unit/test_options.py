"""Parsing slash-command options: errors name the option and show an example."""

from __future__ import annotations

import pytest

from bot.options import OptionError, parse_duration, parse_route_topics


def test_option_parsing_names_the_option_and_shows_an_example() -> None:
    assert parse_route_topics(" AI ,  Climate  Change,AI") == ("AI", "Climate Change")
    assert parse_route_topics("*") is None and parse_route_topics("") is None
    assert parse_duration("24h") == 86400 and parse_duration("90m") == 5400 and parse_duration("2w") == 1209600
    assert parse_duration("3") == 3 * 3600
    for bad in ("yesterday", "0m", "-1h", "5y"):
        with pytest.raises(OptionError, match=r"`since`.*Example: `"):
            parse_duration(bad)
