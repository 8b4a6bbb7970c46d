"""Unit tests for bot.config: Discord endpoints and the environment, and the config file itself (missing, bad YAML)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    load_config,
    parse_config,
)
from tests.unit.test_config import REPO_CONFIG, config_error, write

# --- discord endpoints and the environment ---------------------------------------------------------


FILE_DISCORD = {"discord": {"api_base": "https://proxy.example/api/v10", "gateway_url": "wss://gw.example/"}}


def test_file_endpoints_used_without_env() -> None:
    config = parse_config(FILE_DISCORD, {})
    assert config.discord.api_base == "https://proxy.example/api/v10"
    assert config.discord.gateway_url == "wss://gw.example/"


def test_env_overrides_file() -> None:
    env = {"DISCORD_API_BASE": "http://127.0.0.1:9999/api/v10/", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9999/gw"}
    config = parse_config(FILE_DISCORD, env)
    assert config.discord.api_base == "http://127.0.0.1:9999/api/v10"
    assert config.discord.gateway_url == "ws://127.0.0.1:9999/gw"


def test_env_overrides_one_at_a_time() -> None:
    config = parse_config(FILE_DISCORD, {"DISCORD_API_BASE": "http://localhost:1/api"})
    assert config.discord.api_base == "http://localhost:1/api"
    assert config.discord.gateway_url == "wss://gw.example/"
    config = parse_config(FILE_DISCORD, {"DISCORD_GATEWAY_URL": "ws://localhost:2/"})
    assert config.discord.api_base == "https://proxy.example/api/v10"
    assert config.discord.gateway_url == "ws://localhost:2/"


def test_empty_env_values_do_not_override() -> None:
    config = parse_config(FILE_DISCORD, {"DISCORD_API_BASE": "", "DISCORD_GATEWAY_URL": ""})
    assert config.discord.api_base == "https://proxy.example/api/v10"
    assert config.discord.gateway_url == "wss://gw.example/"


def test_env_overrides_defaults_too() -> None:
    config = parse_config({}, {"DISCORD_API_BASE": "http://fake:1/api", "DISCORD_GATEWAY_URL": "ws://fake:1/"})
    assert (config.discord.api_base, config.discord.gateway_url) == ("http://fake:1/api", "ws://fake:1/")


def test_load_config_env_overrides_repo_file() -> None:
    env = {"DISCORD_API_BASE": "http://127.0.0.1:5/api/v10", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:5/"}
    config = load_config(REPO_CONFIG, env=env)
    assert config.discord.api_base == "http://127.0.0.1:5/api/v10"
    assert config.discord.gateway_url == "ws://127.0.0.1:5/"


def test_load_config_reads_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_API_BASE", "http://from-env:7/api")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://from-env:7/")
    config = load_config(REPO_CONFIG)
    assert config.discord.api_base == "http://from-env:7/api"
    assert config.discord.gateway_url == "ws://from-env:7/"


@pytest.mark.parametrize("value", ["ftp://discord.com/api", "discord.com/api", "wss://discord.com/api", "https://"])
def test_bad_api_base(value: str) -> None:
    error = config_error({"discord": {"api_base": value}}, "discord.api_base")
    assert "http://" in str(error)
    config_error({}, "discord.api_base (env DISCORD_API_BASE)", env={"DISCORD_API_BASE": value})


@pytest.mark.parametrize("value", ["https://gateway.discord.gg", "gateway.discord.gg", "ws://"])
def test_bad_gateway_url(value: str) -> None:
    config_error({"discord": {"gateway_url": value}}, "discord.gateway_url")
    config_error({}, "discord.gateway_url (env DISCORD_GATEWAY_URL)", env={"DISCORD_GATEWAY_URL": value})


# --- the file itself --------------------------------------------------------------------------------


def test_missing_config_file_names_the_option(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "newsdesk.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(missing, env={})
    assert info.value.key == "--config"
    assert "--config" in str(info.value)
    assert str(missing) in str(info.value)


def test_invalid_yaml_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "articles:\n  path: [unclosed\n"), env={})
    assert "--config" in str(info.value)
    assert "not valid YAML" in str(info.value)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)
    assert str(ConfigError("a.b", "bad")) == "config key 'a.b': bad"


def test_storage_url_from_the_environment_wins_and_is_not_resolved_against_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "storage:\n  url: sqlite:///data/in-file.db\n")
    assert load_config(path, env={}).storage_url == f"sqlite:///{tmp_path / 'data' / 'in-file.db'}"
    pg = "postgresql+psycopg://newsdesk:s3cret@db.internal:5432/news"
    assert load_config(path, env={"NEWSDESK_STORAGE_URL": pg}).storage_url == pg
    relative = load_config(path, env={"NEWSDESK_STORAGE_URL": "sqlite:///other.db"})
    assert relative.storage_url == "sqlite:///other.db"


def test_a_bad_storage_url_from_the_environment_names_it_and_masks_the_password() -> None:
    error = config_error({}, "storage.url (env NEWSDESK_STORAGE_URL)", {"NEWSDESK_STORAGE_URL": "bot:s3cret@db/news"})
    assert "s3cret" not in str(error) and "bot:***@db/news" in str(error)
