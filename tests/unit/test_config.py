"""Unit tests for bot.config: defaults, the shipped config file, validation errors that name the key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import (
    DEFAULT_API_BASE,
    DEFAULT_GATEWAY_URL,
    ArticlesConfig,
    Backfill,
    ChannelRoute,
    Config,
    ConfigError,
    DiscordConfig,
    load_config,
    parse_config,
)
from bot.routes.planning import BackfillMode, OnUnpublish

REPO_ROOT = Path(__file__).parents[2]
REPO_CONFIG = REPO_ROOT / "config/newsdesk.yaml"


def config_error(raw: Any, key: str, env: dict[str, str] | None = None) -> ConfigError:
    """Parse ``raw``, expect a ConfigError for ``key``, and check the message names it."""
    with pytest.raises(ConfigError) as info:
        parse_config(raw, env or {})
    assert info.value.key == key
    assert f"'{key}'" in str(info.value)
    return info.value


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsdesk.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults and the shipped file ----------------------------------------------------------------


def assert_defaults(config: Config) -> None:
    assert config == Config()
    assert config.articles.path == Path("articles")
    assert config.articles.backfill == Backfill(BackfillMode.NONE, 0)
    assert config.articles.on_unpublish == "delete"
    assert config.articles.max_file_bytes == 1024 * 1024
    assert config.articles.rescan_seconds == 300.0
    assert config.articles.debounce_ms == 30
    assert config.storage_url == "sqlite:///data/newsdesk.db"
    assert config.discord.api_base == DEFAULT_API_BASE == "https://discord.com/api/v10"
    assert config.discord.gateway_url == DEFAULT_GATEWAY_URL
    assert config.discord.sync_guilds == ()
    assert config.discord.request_timeout == 30.0
    assert config.channels == ()
    assert config.log_level == "INFO"


@pytest.mark.parametrize("text", ["", "\n", "# nothing but a comment\n", "---\n"])
def test_empty_file_gives_defaults(tmp_path: Path, text: str) -> None:
    config = load_config(write(tmp_path, text), env={})
    # The two paths are the sample's own, resolved against the file's folder (test_left_out_paths_...).
    assert config.articles.path == tmp_path.parent / "articles"
    assert config.storage_url == f"sqlite:///{tmp_path.parent / 'data' / 'newsdesk.db'}"
    assert_defaults(
        replace(
            config, articles=replace(config.articles, path=Path("articles")), storage_url="sqlite:///data/newsdesk.db"
        )
    )


@pytest.mark.parametrize("raw", [{}, None])
def test_parse_config_defaults(raw: Any) -> None:
    # load_config turns an empty document (None) into {}; parse_config itself wants a mapping.
    if raw is None:
        config_error(raw, "(top level)")
    else:
        assert_defaults(parse_config(raw, {}))


def test_repo_config_loads() -> None:
    config = load_config(REPO_CONFIG, env={})
    # Relative paths in the file are resolved against config/: the sample points back at the repository root.
    assert config.articles == ArticlesConfig(
        path=REPO_ROOT / "articles",
        backfill=Backfill(BackfillMode.LATEST, 3),
        on_unpublish=OnUnpublish.DELETE,
        max_file_bytes=1048576,
        rescan_seconds=300.0,
        debounce_ms=30,
    )
    assert config.storage_url == f"sqlite:///{REPO_ROOT / 'data' / 'newsdesk.db'}"
    assert config.discord == DiscordConfig(
        api_base="https://discord.com/api/v10", gateway_url="wss://gateway.discord.gg/", sync_guilds=()
    )
    assert config.log_level == "INFO"
    assert config.channels == (
        ChannelRoute(channel_id=1, topics=None, min_quality=0, name="news"),
        ChannelRoute(channel_id=2, topics=frozenset({"ai", "machine learning"}), min_quality=40, name="ai"),
    )


def test_repo_config_routes() -> None:
    config = load_config(REPO_CONFIG, env={})
    assert [r.name for r in config.routes_for(("AI",), 64)] == ["news", "ai"]
    assert [r.name for r in config.routes_for(("machine LEARNING",), 40)] == ["news", "ai"]
    assert [r.name for r in config.routes_for(("AI",), 39)] == ["news"]
    assert [r.name for r in config.routes_for(("Security",), 99)] == ["news"]
    assert [r.name for r in config.routes_for((), None)] == ["news"]


def test_full_config(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
articles:
  path: /srv/stories
  backfill: all
  on_unpublish: keep
  max_file_bytes: 4096
  rescan_seconds: 2.5
  debounce_ms: 100
storage:
  url: sqlite:////tmp/x.db
discord:
  api_base: http://127.0.0.1:8080/api/v10/
  gateway_url: ws://127.0.0.1:8080/gateway
  sync_guilds: [123456789012345678, "42"]
  request_timeout: 5
channels:
  - id: "987654321098765432"
    topics: [Security]
    roles: [11, "22"]
    name: "  sec  "
log_level: debug
digests: {}
alerts: {}
""",
    )
    config = load_config(path, env={})
    assert config.articles == ArticlesConfig(
        Path("/srv/stories"), Backfill(BackfillMode.ALL, 0), OnUnpublish.KEEP, 4096, 2.5, 100
    )
    assert config.storage_url == "sqlite:////tmp/x.db"
    assert config.discord.api_base == "http://127.0.0.1:8080/api/v10"  # trailing slash dropped
    assert config.discord.gateway_url == "ws://127.0.0.1:8080/gateway"
    assert config.discord.sync_guilds == (123456789012345678, 42)
    assert config.discord.request_timeout == 5.0
    assert config.channels == (ChannelRoute(987654321098765432, frozenset({"security"}), 0, (11, 22), "sec"),)
    assert config.log_level == "DEBUG"


def test_fractional_seconds_are_kept() -> None:
    config = parse_config({"articles": {"rescan_seconds": 2.5}, "discord": {"request_timeout": 7.5}}, {})
    assert config.articles.rescan_seconds == 2.5
    assert config.discord.request_timeout == 7.5


# --- channel routes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("topics", ["*", None])
def test_route_star_matches_every_topic(topics: Any) -> None:
    raw: dict[str, Any] = {"id": 10}
    if topics is not None:
        raw["topics"] = topics
    (route,) = parse_config({"channels": [raw]}, {}).channels
    assert route.topics is None
    assert route.matches(("Anything",), 0)
    assert route.matches((), None)


def test_route_topic_list_is_case_insensitive() -> None:
    (route,) = parse_config({"channels": [{"id": 10, "topics": ["AI", " Machine Learning ", "ÉCONOMIE"]}]}, {}).channels
    assert route.topics == frozenset({"ai", "machine learning", "économie"})
    assert route.matches(("ai",), None)
    assert route.matches(("Ai",), None)
    assert route.matches(("Security", "MACHINE LEARNING"), None)
    assert route.matches(("économie",), None)
    assert not route.matches(("Security",), None)
    assert not route.matches((), None)
    assert not route.matches(("Machine",), None)


def test_route_topics_that_are_numbers() -> None:
    (route,) = parse_config({"channels": [{"id": 10, "topics": [2024, "AI"]}]}, {}).channels
    assert route.matches(("2024",), None)


def test_min_quality() -> None:
    (route,) = parse_config({"channels": [{"id": 10, "min_quality": 50}]}, {}).channels
    assert route.min_quality == 50
    assert route.matches(("AI",), 50)
    assert route.matches(("AI",), 100)
    assert not route.matches(("AI",), 49)
    assert not route.matches(("AI",), None)  # an unrated story counts as quality 0


def test_min_quality_and_topics_both_apply() -> None:
    (route,) = parse_config({"channels": [{"id": 10, "topics": ["AI"], "min_quality": 30}]}, {}).channels
    assert route.matches(("AI",), 30)
    assert not route.matches(("AI",), 29)
    assert not route.matches(("Security",), 90)


def test_routes_for_keeps_config_order() -> None:
    config = parse_config(
        {
            "channels": [
                {"id": 3, "topics": ["security"]},
                {"id": 1},
                {"id": 2, "topics": ["AI", "Security"], "min_quality": 60},
            ]
        },
        {},
    )
    assert [r.channel_id for r in config.routes_for(("SECURITY",), 70)] == [3, 1, 2]
    assert [r.channel_id for r in config.routes_for(("Security",), 10)] == [3, 1]
    assert [r.channel_id for r in config.routes_for(("ai",), 60)] == [1, 2]
    assert [r.channel_id for r in config.routes_for(("Sports",), 100)] == [1]
    assert parse_config({}, {}).routes_for(("AI",), 100) == []


def test_channel_without_id() -> None:
    error = config_error({"channels": [{"id": 1}, {"topics": ["AI"]}]}, "channels[1].id")
    assert "missing" in str(error)


@pytest.mark.parametrize("value", ["general", "#news", "", 0, -5, 1.5, "1e3", True, None, [1]])
def test_bad_channel_id(value: Any) -> None:
    config_error({"channels": [{"id": value}]}, "channels[0].id")


def test_channel_id_as_numeric_string() -> None:
    (route,) = parse_config({"channels": [{"id": " 123456789012345678 "}]}, {}).channels
    assert route.channel_id == 123456789012345678


@pytest.mark.parametrize("value", [[], [""], ["  "]])
def test_empty_topic_list(value: Any) -> None:
    config_error({"channels": [{"id": 1, "topics": value}]}, "channels[0].topics")


@pytest.mark.parametrize("value", [-1, 101, "40", True])
def test_bad_min_quality(value: Any) -> None:
    config_error({"channels": [{"id": 1, "min_quality": value}]}, "channels[0].min_quality")


def test_bad_role_id() -> None:
    config_error({"channels": [{"id": 1, "roles": [5, "admins"]}]}, "channels[0].roles[1]")


def test_channels_not_a_list() -> None:
    config_error({"channels": {"id": 1}}, "channels")


def test_channel_not_a_mapping() -> None:
    config_error({"channels": [123]}, "channels[0]")


def test_unknown_channel_key() -> None:
    error = config_error({"channels": [{"id": 1, "topic": ["AI"]}]}, "channels[0].topic")
    assert "unknown" in str(error)


# --- articles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("none", Backfill(BackfillMode.NONE, 0)),
        ("all", Backfill(BackfillMode.ALL, 0)),
        ("latest:5", Backfill(BackfillMode.LATEST, 5)),
        ("LATEST:12", Backfill(BackfillMode.LATEST, 12)),
        (" all ", Backfill(BackfillMode.ALL, 0)),
    ],
)
def test_backfill(value: str, expected: Backfill) -> None:
    assert parse_config({"articles": {"backfill": value}}, {}).articles.backfill == expected
    assert Backfill.parse(value) == expected


def test_backfill_from_yaml(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "articles:\n  backfill: latest:5\n"), env={})
    assert config.articles.backfill == Backfill(BackfillMode.LATEST, 5)


@pytest.mark.parametrize("value", ["some", "latest", "latest:", "latest:x", "latest:-1", "latest 5", "first:3", 5, ""])
def test_bad_backfill(value: Any) -> None:
    error = config_error({"articles": {"backfill": value}}, "articles.backfill")
    assert "latest:N" in str(error)


@pytest.mark.parametrize("value", ["delete", "keep"])
def test_on_unpublish(value: str) -> None:
    assert parse_config({"articles": {"on_unpublish": value}}, {}).articles.on_unpublish == value


@pytest.mark.parametrize("value", ["archive", "", "remove", True])
def test_bad_on_unpublish(value: Any) -> None:
    error = config_error({"articles": {"on_unpublish": value}}, "articles.on_unpublish")
    assert "delete or keep" in str(error)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_file_bytes", 100),
        ("max_file_bytes", "1MB"),
        ("rescan_seconds", 0),
        ("debounce_ms", 0),
        ("debounce_ms", 6000),
        ("debounce_ms", False),
    ],
)
def test_bad_article_numbers(name: str, value: Any) -> None:
    config_error({"articles": {name: value}}, f"articles.{name}")


# --- unknown keys and shapes ------------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    error = config_error({"chanels": []}, "chanels")
    assert "unknown" in str(error)
    assert "channels" in str(error)  # the message lists what is allowed


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"articles": {"bakfill": "all"}}, "articles.bakfill"),
        ({"storage": {"path": "x.db"}}, "storage.path"),
        ({"discord": {"token": "secret"}}, "discord.token"),
    ],
)
def test_unknown_nested_key(raw: dict[str, Any], key: str) -> None:
    error = config_error(raw, key)
    assert "unknown" in str(error)


def test_unknown_nested_key_from_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'articles\.bakfill'"):
        load_config(write(tmp_path, "articles:\n  bakfill: all\n"), env={})


@pytest.mark.parametrize("raw", [[1, 2], "text", 3])
def test_top_level_not_a_mapping(raw: Any) -> None:
    config_error(raw, "(top level)")


def test_section_not_a_mapping() -> None:
    config_error({"articles": ["path"]}, "articles")
    config_error({"discord": "https://discord.com"}, "discord")


@pytest.mark.parametrize("value", ["chatty", "TRACE", ""])
def test_bad_log_level(value: str) -> None:
    config_error({"log_level": value}, "log_level")


def test_bad_storage_url() -> None:
    config_error({"storage": {"url": "data/newsdesk.db"}}, "storage.url")


def test_bad_sync_guild() -> None:
    config_error({"discord": {"sync_guilds": [1, "guild"]}}, "discord.sync_guilds[1]")
    config_error({"discord": {"sync_guilds": 5}}, "discord.sync_guilds")


def test_bad_request_timeout() -> None:
    config_error({"discord": {"request_timeout": 0}}, "discord.request_timeout")
    config_error({"discord": {"request_timeout": 601}}, "discord.request_timeout")


def test_channel_recheck_and_heartbeat_intervals() -> None:
    config = parse_config({"discord": {"channel_recheck_seconds": 2}, "storage": {"heartbeat_seconds": 1}}, {})
    assert config.discord.channel_recheck_seconds == 2.0
    assert config.heartbeat_seconds == 1.0
    defaults = parse_config({}, {})
    assert (defaults.discord.channel_recheck_seconds, defaults.heartbeat_seconds) == (300.0, 10.0)
    config_error({"discord": {"channel_recheck_seconds": 0}}, "discord.channel_recheck_seconds")
    config_error({"storage": {"heartbeat_seconds": "often"}}, "storage.heartbeat_seconds")
