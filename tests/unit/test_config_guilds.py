"""discord.guilds (the allowlist) and discord.home_guild: parsed, checked, and errors that name the key."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, parse_config

HOME, OTHER = 123456789012345678, 223456789012345678


def test_no_allowlist_means_any_server_and_no_home() -> None:
    discord = parse_config({}, {}).discord
    assert (discord.guilds, discord.home_guild) == ((), None)
    assert discord.allows(OTHER) and discord.allows(None)


def test_the_allowlist_admits_its_servers_only() -> None:
    discord = parse_config({"discord": {"guilds": [HOME, str(OTHER), HOME], "home_guild": HOME}}, {}).discord
    assert discord.guilds == (HOME, OTHER), "ids as numbers or strings, duplicates dropped"
    assert discord.home_guild == HOME
    assert discord.allows(HOME) and discord.allows(OTHER) and not discord.allows(42)
    assert discord.allows(None), "outside any server there is no server's data to wall off"


@pytest.mark.parametrize(
    ("section", "key", "reason"),
    [
        ({"guilds": [HOME, "my server"]}, "discord.guilds[1]", "a Discord id"),
        ({"guilds": HOME}, "discord.guilds", "expected a list"),
        ({"guilds": [True]}, "discord.guilds[0]", "a Discord id"),
        ({"home_guild": "home"}, "discord.home_guild", "a Discord id"),
        ({"guilds": [OTHER], "home_guild": HOME}, "discord.home_guild", "not in discord.guilds"),
        ({"guilds": [HOME], "sync_guilds": [HOME, OTHER]}, "discord.sync_guilds[1]", "not in discord.guilds"),
    ],
)
def test_a_bad_value_names_the_key(section: dict[str, object], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"discord": section}, {})
    assert err.value.key == key and f"config key '{key}'" in str(err.value) and reason in str(err.value)
