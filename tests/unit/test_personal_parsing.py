"""What members type for /follow and /follow settings: normalised the way routes normalise, or refused in one
line that names the option."""

from __future__ import annotations

import pytest

from bot.options import OptionError
from bot.personal import settings as member_settings
from bot.personal.follows import FollowTarget, added_text, describe, forgotten_text, parse_follow, words_match
from bot.personal.settings import SettingsInput, parse_quiet, parse_settings
from bot.routes.route_rules import parse_rules
from bot.store.follows import MemberSettings
from bot.store.personal_tables import FollowKind

TOPIC, PROVIDER, WORDS = FollowKind.TOPIC, FollowKind.PROVIDER, FollowKind.WORDS


def test_topics_and_providers_are_trimmed_and_keyed_casefolded() -> None:
    assert parse_follow(TOPIC, "  Machine   Learning ") == FollowTarget(TOPIC, "machine learning", "Machine Learning")
    assert parse_follow(PROVIDER, "Wire Desk").norm == "wire desk"
    assert parse_follow(TOPIC, "Straße").norm == "strasse", "casefold, not lower"


@pytest.mark.parametrize(
    ("kind", "text", "why"),
    [
        (TOPIC, "   ", "missing"),
        (TOPIC, "x" * 101, "at most 100 characters"),
        (PROVIDER, "Wire\nDesk", "one line only"),
        (WORDS, "!!!", "at least one letter or digit"),
    ],
)
def test_bad_values_name_the_option(kind: FollowKind, text: str, why: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_follow(kind, text)
    message = str(caught.value)
    assert message.startswith(f"`{kind.value}`:") and why in message and "\n" not in message


def test_words_match_whole_words_like_a_routes_include_words() -> None:
    target = parse_follow(WORDS, "quantum   leap")
    assert target.value == "quantum leap"
    rule_words = parse_rules({"include_words": "quantum   leap"}).include_words
    assert rule_words == (target.value,), "the same normaliser as the route rules"
    assert words_match(target.norm, "A Quantum\nLeap for chips")
    assert not words_match(target.norm, "quantum leaps ahead"), "whole words only"
    assert not words_match(parse_follow(WORDS, "AI").norm, "she said so"), "AI is not inside said"
    assert words_match(parse_follow(WORDS, "Straße").norm, "Die STRAßE ist frei"), "the key still matches"


def test_describe_reads_back_each_kind() -> None:
    assert describe(TOPIC, "AI") == "AI"
    assert describe(PROVIDER, "Wire Desk") == "provider Wire Desk"
    assert describe(WORDS, "quantum leap") == "the words “quantum leap”"


def test_settings_parse_to_columns() -> None:
    typed = SettingsInput(
        daily_cap=5, digest_time="8:00", timezone="europe/berlin", days="Mon, thu", quiet="22:00-07:00"
    )
    assert parse_settings(typed) == {
        "daily_cap": 5,
        "digest_time": "08:00",
        "timezone": "Europe/Berlin",
        "digest_days": "mon,thu",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }
    assert parse_settings(SettingsInput(days="weekdays")) == {"digest_days": "weekdays"}
    assert parse_settings(SettingsInput(quiet="off", digest_time="OFF")) == {
        "digest_time": None,
        "quiet_start": None,
        "quiet_end": None,
    }
    assert SettingsInput().empty and not SettingsInput(daily_cap=1).empty


def test_quiet_hours_may_cross_midnight_but_not_be_empty() -> None:
    assert parse_quiet("23:30-06:15") == ("23:30", "06:15")
    assert parse_quiet("09:00-17:00") == ("09:00", "17:00")
    with pytest.raises(OptionError, match="same time"):
        parse_quiet("07:00-07:00")


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        (SettingsInput(daily_cap=0), "daily_cap"),
        (SettingsInput(daily_cap=501), "daily_cap"),
        (SettingsInput(digest_time="25:00"), "digest_time"),
        (SettingsInput(digest_time="eight"), "digest_time"),
        (SettingsInput(timezone="Mars/Olympus"), "timezone"),
        (SettingsInput(days="funday"), "days"),
        (SettingsInput(quiet="22:00"), "quiet"),
        (SettingsInput(quiet="22:00-24:00"), "quiet"),
    ],
)
def test_every_settings_error_names_its_option(typed: SettingsInput, option: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_settings(typed)
    assert caught.value.option == option
    assert str(caught.value).startswith(f"`{option}`:") and "\n" not in str(caught.value)


def test_settings_read_back_with_defaults_and_the_pause() -> None:
    lines = member_settings.describe(MemberSettings(), default_cap=20, default_timezone="UTC")
    assert lines == [
        "Daily cap: 20 instant DMs (the default)",
        "Digest: off (set `digest_time` to get one)",
        "Time zone: UTC",
        "Quiet hours: off",
    ]
    mine = MemberSettings(
        daily_cap=5,
        digest_time="08:00",
        quiet_start="22:00",
        quiet_end="07:00",
        paused=True,
        paused_reason="dms_closed",
    )
    lines = member_settings.describe(mine, default_cap=20, default_timezone="UTC")
    assert "Digest: 08:00 daily" in lines and "Quiet hours: 22:00-07:00" in lines
    assert lines[-1] == "Paused: yes (your DMs are closed); /following resumes"


def test_answers_to_a_follow_and_to_forget() -> None:
    assert added_text(TOPIC, "AI", "new", 1, 25, "instant") == (
        "You follow AI now: new AI stories come to your DMs. /following to change."
    )
    assert "new stories from Wire Desk go into your personal digest" in added_text(
        PROVIDER, "Wire Desk", "mode_changed", 2, 25, "digest"
    )
    assert added_text(WORDS, "x", "full", 25, 25, "instant") == (
        "You follow 25 things, the most this server allows; /unfollow one first."
    )
    assert (
        forgotten_text(2, 1, 1)
        == "Deleted 2 follows, your settings and 1 DM record. Newsdesk keeps nothing about you now."
    )
    assert forgotten_text(0, 0, 0).startswith("Nothing was stored about you")
