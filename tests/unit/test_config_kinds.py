"""Route options for channel kinds and ``providers``: defaults, values, and errors that name the key."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ConfigError, KindOptions, parse_config


def test_kind_options_default_to_plain_messages() -> None:
    config = parse_config({"channels": [{"id": 1}]})
    assert config.channels[0].kinds == KindOptions()
    assert config.channels[0].kinds.auto_archive_duration == 1440 and config.providers == {}


def test_kind_options_and_provider_avatars_are_read() -> None:
    raw = {
        "channels": [
            {"id": 1, "publish": True, "thread": True, "auto_archive_duration": 60, "webhook": True},
            {"id": 2, "create_tags": True},
        ],
        "providers": {"News.Example": {"avatar": "https://news.example/logo.png"}, "bare.example": None},
    }
    config = parse_config(raw)
    assert config.channels[0].kinds == KindOptions(
        publish=True, thread=True, auto_archive_duration=60, webhook=True, create_tags=False
    )
    assert config.channels[1].kinds.create_tags
    assert config.providers == {"news.example": "https://news.example/logo.png"}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"channels": [{"id": 1, "thread": "yes"}]}, "channels[0].thread"),
        ({"channels": [{"id": 1, "publish": 1}]}, "channels[0].publish"),
        ({"channels": [{"id": 1, "auto_archive_duration": 120}]}, "channels[0].auto_archive_duration"),
        ({"channels": [{"id": 1, "auto_archive_duration": True}]}, "channels[0].auto_archive_duration"),
        ({"providers": ["news.example"]}, "providers"),
        ({"providers": {"news.example": {"avatar": "logo.png"}}}, "providers.news.example.avatar"),
        ({"providers": {"news.example": {"colour": 1}}}, "providers.news.example.colour"),
    ],
)
def test_bad_kind_options_name_their_key(raw: Any, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.key == key
