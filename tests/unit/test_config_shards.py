"""Shard settings: ``discord.shard_count``/``shard_ids``, a channel's ``guild:``, and the ``run`` flags that
override them, each bad value ending in one message that names the key or the flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, parse_config, with_shards
from bot.sharding import ShardError, ShardPlan


def test_no_shard_settings_is_the_unsharded_default() -> None:
    config = parse_config({})
    assert config.discord.shard_count is None and config.discord.shard_ids is None
    assert config.discord.shards == ShardPlan()


@pytest.mark.parametrize("ids", [[0, 2], "0,2", "0, 2"])
def test_shard_settings_from_the_file(ids: object) -> None:
    config = parse_config({"discord": {"shard_count": 4, "shard_ids": ids}})
    assert config.discord.shards == ShardPlan(4, (0, 2), sharded=True)


def test_a_count_alone_in_the_file_runs_all_its_shards() -> None:
    assert parse_config({"discord": {"shard_count": 2}}).discord.shard_ids == (0, 1)


@pytest.mark.parametrize(
    ("discord", "key"),
    [
        ({"shard_count": 0}, "discord.shard_count"),
        ({"shard_count": "two"}, "discord.shard_count"),
        ({"shard_count": 2, "shard_ids": [0, 2]}, "discord.shard_ids"),
        ({"shard_count": 2, "shard_ids": "1,1"}, "discord.shard_ids"),
        ({"shard_count": 2, "shard_ids": "zero"}, "discord.shard_ids"),
        ({"shard_count": 2, "shard_ids": {"a": 1}}, "discord.shard_ids"),
        ({"shard_ids": [0]}, "discord.shard_ids"),
    ],
)
def test_bad_shard_settings_name_the_key(discord: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"discord": discord})
    assert info.value.key == key and f"config key '{key}'" in str(info.value)


def test_a_channel_may_name_its_guild() -> None:
    config = parse_config({"channels": [{"id": 5, "guild": "77"}, {"id": 6}]})
    assert [r.guild_id for r in config.channels] == [77, None]


def test_a_bad_guild_names_the_channel_entry() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"channels": [{"id": 5, "guild": "nope"}]})
    assert info.value.key == "channels[0].guild"


def test_flags_override_the_file() -> None:
    config = parse_config({"discord": {"shard_count": 4, "shard_ids": [0, 1]}})
    assert with_shards(config, None, None) is config
    assert with_shards(config, None, "3").discord.shards == ShardPlan(4, (3,), sharded=True)
    assert with_shards(config, 2, None).discord.shards == ShardPlan(2, (0, 1), sharded=True)
    assert with_shards(config, 2, "1").discord.shards == ShardPlan(2, (1,), sharded=True)
    assert with_shards(parse_config({}), 2, "0,1").discord.shards == ShardPlan(2, (0, 1), sharded=True)


@pytest.mark.parametrize(
    ("file", "count", "ids", "message"),
    [
        ({}, 2, "2", "--shard-ids: shard 2 does not exist with --shard-count 2 (ids 0-1)"),
        ({"shard_count": 2}, None, "5", "--shard-ids: shard 5 does not exist with discord.shard_count 2"),
        ({}, None, "0", "--shard-ids: needs --shard-count too"),
        ({}, 2, "0,0", "--shard-ids: shard 0 listed twice"),
    ],
)
def test_flag_errors_name_the_flag(file: dict[str, object], count: int | None, ids: str, message: str) -> None:
    with pytest.raises(ShardError) as info:
        with_shards(parse_config({"discord": file}), count, ids)
    assert str(info.value).startswith(message)


def write_config(tmp_path: Path) -> Path:
    (tmp_path / "articles").mkdir()
    path = tmp_path / "newsdesk.yaml"
    path.write_text(f"articles:\n  path: {tmp_path / 'articles'}\nstorage:\n  url: sqlite:///{tmp_path / 'n.db'}\n")
    return path


def test_run_with_bad_shard_ids_ends_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(write_config(tmp_path)), "run", "--shard-count", "2", "--shard-ids", "0,3"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "newsdesk: --shard-ids: shard 3 does not exist with --shard-count 2 (ids 0-1)"


@pytest.mark.parametrize("count", ["0", "x"])
def test_run_with_a_bad_shard_count_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--config", str(write_config(tmp_path)), "run", "--shard-count", count])
    assert info.value.code == 2
    assert "--shard-count: expected a whole number of at least 1" in capsys.readouterr().err
