"""Digest options from /digest schedule and from the config file's ``digests:`` list."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.config import ConfigError, SchedulerConfig, parse_config
from bot.digest_spec import make_spec, parse_digest_topics
from bot.options import OptionError

CHANNEL = 123456789012345678


def spec(**options: Any) -> Any:
    return make_spec(**{"name": "morning", "channel_id": CHANNEL, "time": "09:00", **options})


def test_defaults() -> None:
    made = spec()
    assert (made.topics, made.min_quality, made.max_items, made.min_items) == ((), 0, 10, 1)
    assert made.schedule.describe() == "09:00 daily (UTC)"
    assert made.describe_filters() == "all topics, up to 10 stories, at least 1"


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"name": "Morning News!"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 33}, "name"),
        ({"min_quality": 101}, "min_quality"),
        ({"min_quality": -1}, "min_quality"),
        ({"max_items": 0}, "max_items"),
        ({"max_items": 26}, "max_items"),
        ({"min_items": 0}, "min_items"),
        ({"max_items": "10"}, "max_items"),
        ({"time": "9.00"}, "time"),
        ({"days": "someday"}, "days"),
        ({"timezone": "Europe/Vienn"}, "timezone"),
        ({"time": None, "cron": "0 9 * *"}, "cron"),
        ({"topics": "x" * 101}, "topics"),
    ],
)
def test_each_bad_option_is_named_with_an_example(options: dict[str, Any], option: str) -> None:
    with pytest.raises(OptionError) as info:
        spec(**options)
    assert info.value.option == option
    assert info.value.example, "every error shows a value that works"


def test_names_are_lower_cased() -> None:
    assert spec(name="  Morning-Briefing ").name == "morning-briefing"


def test_topics() -> None:
    assert parse_digest_topics("AI, security , ai,,") == ("AI", "security")
    assert parse_digest_topics("") == () and parse_digest_topics("*") == () and parse_digest_topics(None) == ()
    assert parse_digest_topics(["Machine  Learning", "AI"]) == ("Machine Learning", "AI")
    assert spec(topics="AI, Climate").topic_keys == frozenset({"ai", "climate"})


def config(text: str) -> Any:
    return parse_config(yaml.safe_load(text))


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        config(text)
    return info.value.key


def test_config_digests_and_scheduler_settings() -> None:
    parsed = config(
        f"""
scheduler:
  timezone: europe/vienna
  digest_grace_seconds: 600
digests:
  - name: Morning
    channel: "{CHANNEL}"
    time: "07:30"
    days: weekdays
    topics: [AI, Security]
    min_quality: 40
    max_items: 5
  - name: weekly
    channel: {CHANNEL}
    cron: "0 18 * * 5"
    timezone: America/New_York
    min_items: 3
"""
    )
    assert parsed.scheduler == SchedulerConfig("Europe/Vienna", 600)
    morning, weekly = parsed.digests
    assert morning.name == "morning" and morning.channel_id == CHANNEL and morning.topics == ("AI", "Security")
    assert morning.schedule.describe() == "07:30 weekdays (Europe/Vienna)", "the default timezone applies"
    assert (morning.min_quality, morning.max_items, morning.min_items) == (40, 5, 1)
    assert weekly.schedule.cron == "0 18 * * fri" and weekly.schedule.timezone == "America/New_York"
    assert weekly.min_items == 3


def test_no_digests_and_default_scheduler() -> None:
    assert config("log_level: INFO").digests == ()
    assert config("digests: {}").digests == ()
    assert config("digests:").scheduler == SchedulerConfig("UTC", 3600)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (f"digests:\n  - {{name: a, channel: {CHANNEL}, time: 9:30}}", "digests[0].time"),  # YAML's base-60 number
        (f"digests:\n  - {{name: a, channel: {CHANNEL}, time: '25:00'}}", "digests[0].time"),
        ("digests:\n  - {name: a, time: '09:00'}", "digests[0].channel"),
        ("digests:\n  - {name: a, channel: news, time: '09:00'}", "digests[0].channel"),
        (f"digests:\n  - {{channel: {CHANNEL}, time: '09:00'}}", "digests[0].name"),
        (f"digests:\n  - {{name: , channel: {CHANNEL}, time: '09:00'}}", "digests[0].name"),
        (f"digests:\n  - {{name: a, channel: {CHANNEL}, time: '09:00', colour: red}}", "digests[0].colour"),
        (f"digests:\n  - {{name: a, channel: {CHANNEL}, time: '09:00', timezone: Nowhere}}", "digests[0].timezone"),
        (f"digests:\n  - {{name: a, channel: {CHANNEL}, cron: '0 9 * * 9'}}", "digests[0].cron"),
        (f"digests:\n  - {{name: a, channel: {CHANNEL}, time: '09:00', max_items: 30}}", "digests[0].max_items"),
        (
            f"digests:\n  - {{name: a, channel: {CHANNEL}, time: '09:00'}}\n  - {{name: A, channel: 1, time: '10:00'}}",
            "digests[1].name",
        ),
        ("digests:\n  - just a string", "digests[0]"),
        ("digests: yes", "digests"),
        ("scheduler:\n  timezone: Mars/Base", "scheduler.timezone"),
        ("scheduler:\n  digest_grace_seconds: 0", "scheduler.digest_grace_seconds"),
        ("scheduler:\n  grace: 10", "scheduler.grace"),
    ],
)
def test_config_errors_name_the_key(text: str, key: str) -> None:
    assert config_error(text) == key


def test_config_time_error_explains_quoting() -> None:
    with pytest.raises(ConfigError) as info:
        config(f"digests:\n  - {{name: a, channel: {CHANNEL}, time: 21:30}}")
    assert "quotes" in str(info.value) and '"09:00"' in str(info.value)
