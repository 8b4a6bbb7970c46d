"""The shard plan: Discord's guild → shard rule, ownership, and checked settings with errors naming the option."""

from __future__ import annotations

import pytest

from bot.sharding import GuildDirectory, ShardError, ShardPlan, make_plan, parse_shard_ids, shard_of

# Guild ids whose shard (of 2) is known: (id >> 22) % 2.
GUILD_ON_0 = 100000000000000001 & ~(1 << 22)
GUILD_ON_1 = 100000000000000001 | (1 << 22)


def test_shard_of_follows_discords_rule() -> None:
    assert shard_of(GUILD_ON_0, 2) == 0 and shard_of(GUILD_ON_1, 2) == 1
    assert shard_of(81384788765712384, 4) == (81384788765712384 >> 22) % 4
    assert shard_of(GUILD_ON_1, 1) == 0


def test_the_default_plan_is_unsharded_and_owns_everything() -> None:
    plan = make_plan(None, None)
    assert plan == ShardPlan() and not plan.sharded and plan.key == ""
    assert plan.owns_guild(GUILD_ON_0) and plan.owns_guild(GUILD_ON_1) and plan.owns_guild(None)


def test_a_process_owns_only_its_shards_guilds() -> None:
    plan = make_plan(2, [1])
    assert plan.sharded and plan.shard_ids == (1,) and plan.key == "n2_s1"
    assert plan.owns_guild(GUILD_ON_1) and not plan.owns_guild(GUILD_ON_0)


def test_a_count_alone_means_all_of_its_shards() -> None:
    plan = make_plan(3, None)
    assert plan.shard_ids == (0, 1, 2) and plan.key == "n3_s0_1_2"


def test_a_channel_follows_its_guild_and_an_unknown_guild_counts_as_shard_0() -> None:
    guilds = GuildDirectory({10: GUILD_ON_0, 11: GUILD_ON_1})
    zero, one = make_plan(2, [0]), make_plan(2, [1])
    assert zero.owns_channel(10, guilds.guild_of) and not zero.owns_channel(11, guilds.guild_of)
    assert one.owns_channel(11, guilds.guild_of) and not one.owns_channel(10, guilds.guild_of)
    assert zero.owns_channel(99, guilds.guild_of) and not one.owns_channel(99, guilds.guild_of)


def test_the_directory_learns_and_says_when_something_changed() -> None:
    guilds = GuildDirectory({10: GUILD_ON_0})
    assert guilds.unknown([10, 11, 11, 12]) == [11, 12]
    assert guilds.learn(11, GUILD_ON_1) is True and guilds.learn(11, GUILD_ON_1) is False
    assert guilds.learn(10, GUILD_ON_1) is True and guilds.guild_of(10) == GUILD_ON_1


def test_parse_shard_ids() -> None:
    assert parse_shard_ids("0,2") == (0, 2)
    assert parse_shard_ids(" 3 , 1 ") == (3, 1)


@pytest.mark.parametrize("text", ["", "a", "0,,1", "-1", "1.5", "0;1"])
def test_bad_shard_id_lists_name_the_option(text: str) -> None:
    with pytest.raises(ShardError) as info:
        parse_shard_ids(text)
    assert str(info.value).startswith("--shard-ids: expected shard numbers")


@pytest.mark.parametrize(
    ("count", "ids", "option", "words"),
    [
        (0, None, "discord.shard_count", "at least 1"),
        (-2, None, "discord.shard_count", "at least 1"),
        ("2", None, "discord.shard_count", "whole number"),
        (True, None, "discord.shard_count", "whole number"),
        (2, [2], "discord.shard_ids", "shard 2 does not exist with discord.shard_count 2 (ids 0-1)"),
        (2, [0, 0], "discord.shard_ids", "shard 0 listed twice"),
        (2, [], "discord.shard_ids", "at least one"),
        (2, ["x"], "discord.shard_ids", "shard numbers"),
        (None, [0], "discord.shard_ids", "needs discord.shard_count"),
    ],
)
def test_bad_settings_name_the_option(count: object, ids: object, option: str, words: str) -> None:
    with pytest.raises(ShardError) as info:
        make_plan(count, ids)  # type: ignore[arg-type]
    assert info.value.option == option and words in str(info.value)
