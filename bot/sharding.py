"""Which guilds this process serves when the bot runs as several processes (Discord sharding).

Discord assigns a guild to shard ``(guild_id >> 22) % shard_count``; a process connects only its own shards,
so it only hears its guilds' events and interactions. The feed and the digests follow the same rule: a
process posts only to channels whose guild one of its shards holds. A channel whose guild is not known yet
(never looked up, or the lookup failed) counts as shard 0's, so exactly one process still serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

GuildOf = Callable[[int], int | None]


class ShardError(ValueError):
    """Bad shard settings; ``str()`` names the option (``--shard-ids`` or ``discord.shard_ids``) and the fix."""

    def __init__(self, option: str, reason: str) -> None:
        self.option = option
        self.reason = reason
        super().__init__(f"{option}: {reason}")


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's rule: the shard whose gateway connection receives this guild's events."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """The shards this process runs. ``sharded`` False is the default single process: a plain (unsharded)
    gateway connection that serves every guild, exactly as before sharding existed."""

    shard_count: int = 1
    shard_ids: tuple[int, ...] = (0,)
    sharded: bool = False

    def shard_of(self, guild_id: int) -> int:
        return shard_of(guild_id, self.shard_count)

    def owns_guild(self, guild_id: int | None) -> bool:
        """Unknown guild (None) → shard 0's, see the module docstring."""
        return (0 if guild_id is None else self.shard_of(guild_id)) in self.shard_ids

    def owns_channel(self, channel_id: int, guild_of: GuildOf) -> bool:
        return self.owns_guild(guild_of(channel_id))

    @property
    def key(self) -> str:
        """A name for this shard set, e.g. ``n4_s0_2`` (tables and logs of a process that holds shards 0 and 2
        of 4); empty for the unsharded default, so its tables keep their names."""
        if not self.sharded:
            return ""
        return f"n{self.shard_count}_s" + "_".join(str(i) for i in self.shard_ids)

    def describe(self) -> str:
        if not self.sharded:
            return "unsharded (one process, every guild)"
        return f"shards {', '.join(map(str, self.shard_ids))} of {self.shard_count}"


def parse_shard_ids(text: str, option: str = "--shard-ids") -> tuple[int, ...]:
    """``"0,2"`` → ``(0, 2)``; the order given is kept, duplicates and non-numbers are refused."""
    parts = [p.strip() for p in str(text).split(",")]
    if not any(parts):
        raise ShardError(option, "expected shard numbers separated by commas, e.g. 0,2; got nothing")
    ids: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise ShardError(option, f"expected shard numbers separated by commas, e.g. 0,2; got {text!r}")
        ids.append(int(part))
    return tuple(ids)


def make_plan(
    shard_count: int | None,
    shard_ids: Iterable[int] | None,
    *,
    count_option: str = "discord.shard_count",
    ids_option: str = "discord.shard_ids",
) -> ShardPlan:
    """Check the settings: count ≥ 1, ids below count, no duplicates; ids without a count are refused (Discord
    needs both), a count alone means all its shards in this process; neither is the unsharded default."""
    if shard_count is None:
        if shard_ids is not None:
            raise ShardError(ids_option, f"needs {count_option} too: how many shards the bot has in total")
        return ShardPlan()
    if isinstance(shard_count, bool) or not isinstance(shard_count, int) or shard_count < 1:
        raise ShardError(count_option, f"expected a whole number of at least 1, got {shard_count!r}")
    ids = tuple(range(shard_count)) if shard_ids is None else tuple(shard_ids)
    if not ids:
        raise ShardError(ids_option, "expected at least one shard id")
    for shard_id in ids:
        if isinstance(shard_id, bool) or not isinstance(shard_id, int) or shard_id < 0:
            raise ShardError(ids_option, f"expected shard numbers from 0, got {shard_id!r}")
        if shard_id >= shard_count:
            raise ShardError(
                ids_option,
                f"shard {shard_id} does not exist with {count_option} {shard_count} (ids 0-{shard_count - 1})",
            )
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ShardError(ids_option, f"shard {', '.join(map(str, duplicates))} listed twice")
    return ShardPlan(shard_count, ids, sharded=True)


class GuildDirectory:
    """Channel → guild, the one lookup every part asks: config ``guild:`` entries, ``/feed add`` routes and
    earlier lookups (all persisted in ``channel_guilds``), what the running bot learns (a channel check's answer,
    a route added from Discord), and last the gateway's cache, once the Discord client ``follow``s it."""

    def __init__(self, known: Mapping[int, int] | None = None) -> None:
        self._guilds: dict[int, int] = dict(known or {})
        self._live: GuildOf | None = None

    def guild_of(self, channel_id: int) -> int | None:
        found = self._guilds.get(channel_id)
        if found is None and self._live is not None:
            return self._live(channel_id)
        return found

    def follow(self, live: GuildOf) -> None:
        """Ask ``live`` (the Discord client's cache) about channels nobody recorded, e.g. a thread made today."""
        self._live = live

    def learn(self, channel_id: int, guild_id: int) -> bool:
        """Record a channel's guild; True when it was new or different (worth persisting)."""
        if self._guilds.get(channel_id) == guild_id:
            return False
        self._guilds[channel_id] = guild_id
        return True

    def learn_all(self, guilds: Mapping[int, int]) -> None:
        self._guilds.update(guilds)

    def unknown(self, channel_ids: Iterable[int]) -> list[int]:
        return [c for c in dict.fromkeys(channel_ids) if c not in self._guilds]
