"""The ``discord:`` section of the config: endpoints, shards, and which servers the bot serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config_values import ConfigError, known, list_of, mapping, number, snowflake, url
from bot.sharding import ShardError, ShardPlan, make_plan, parse_shard_ids

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    api_base: str = DEFAULT_API_BASE
    gateway_url: str = DEFAULT_GATEWAY_URL
    sync_guilds: tuple[int, ...] = ()
    request_timeout: float = 30.0
    channel_recheck_seconds: float = 300.0  # how often a channel the bot can't post to is checked again
    shard_count: int | None = None  # None: one unsharded process serving every guild
    shard_ids: tuple[int, ...] | None = None  # None with a count: all of its shards in this process
    # The allowlist: the bot leaves any other server. Empty: any server may add it.
    guilds: tuple[int, ...] = ()
    # The operators' server: its alerts channel also gets the deployment-wide alerts (rejected files...).
    home_guild: int | None = None

    @property
    def shards(self) -> ShardPlan:
        """The checked shard plan (``parse_config`` and ``with_shards`` validated it already)."""
        return make_plan(self.shard_count, self.shard_ids)

    def allows(self, guild_id: int | None) -> bool:
        """Whether the bot may serve this server (None, outside any server, has no server's data to wall off)."""
        return not self.guilds or guild_id is None or guild_id in self.guilds


def parse_discord(raw: Any, env: Mapping[str, str]) -> DiscordConfig:
    """``discord:``; ``DISCORD_API_BASE``/``DISCORD_GATEWAY_URL`` in ``env`` win over the file."""
    discord = mapping(raw or {}, "discord")
    known(discord, "discord.", set(DiscordConfig.__slots__))
    api_base = env.get("DISCORD_API_BASE") or str(discord.get("api_base", DEFAULT_API_BASE))
    gateway_url = env.get("DISCORD_GATEWAY_URL") or str(discord.get("gateway_url", DEFAULT_GATEWAY_URL))
    api_key = "discord.api_base (env DISCORD_API_BASE)" if env.get("DISCORD_API_BASE") else "discord.api_base"
    gateway_key = (
        "discord.gateway_url (env DISCORD_GATEWAY_URL)" if env.get("DISCORD_GATEWAY_URL") else "discord.gateway_url"
    )
    url(api_base, api_key, ("http://", "https://"))
    url(gateway_url, gateway_key, ("ws://", "wss://"))
    allowed = _ids(discord, "guilds")
    home = discord.get("home_guild")
    home_guild = None if home is None else snowflake(home, "discord.home_guild")
    if allowed and home_guild is not None and home_guild not in allowed:
        raise ConfigError("discord.home_guild", f"{home_guild} is not in discord.guilds: the bot would leave it")
    sync_guilds = _ids(discord, "sync_guilds")
    if allowed:
        outside = [i for i, g in enumerate(sync_guilds) if g not in allowed]
        if outside:
            key = f"discord.sync_guilds[{outside[0]}]"
            raise ConfigError(key, f"{sync_guilds[outside[0]]} is not in discord.guilds: the bot would leave it")
    return DiscordConfig(
        api_base=api_base.rstrip("/"),
        gateway_url=gateway_url,
        sync_guilds=sync_guilds,
        request_timeout=number(discord, "request_timeout", 30.0, "discord.", low=1, high=600),
        channel_recheck_seconds=number(discord, "channel_recheck_seconds", 300.0, "discord.", low=1),
        guilds=allowed,
        home_guild=home_guild,
        **_shards(discord),
    )


def _ids(discord: Mapping[str, Any], name: str) -> tuple[int, ...]:
    """A list of server ids; an error names the entry, e.g. ``discord.guilds[1]``."""
    key = f"discord.{name}"
    return tuple(dict.fromkeys(snowflake(g, f"{key}[{i}]") for i, g in enumerate(list_of(discord.get(name), key))))


def _shards(discord: Mapping[str, Any]) -> dict[str, Any]:
    count = discord.get("shard_count")
    raw_ids = discord.get("shard_ids")
    if isinstance(raw_ids, str | int) and not isinstance(raw_ids, bool):
        try:
            ids: tuple[int, ...] | None = parse_shard_ids(str(raw_ids), "discord.shard_ids")
        except ShardError as exc:
            raise ConfigError(exc.option, exc.reason) from None
    elif raw_ids is None:
        ids = None
    else:
        ids = tuple(list_of(raw_ids, "discord.shard_ids"))
    try:
        plan = make_plan(count, ids)
    except ShardError as exc:
        raise ConfigError(exc.option, exc.reason) from None
    if not plan.sharded:
        return {}
    return {"shard_count": plan.shard_count, "shard_ids": plan.shard_ids}
