"""Can the bot post in a channel? A pure verdict from Discord's channel, role and member data, and the gate
that holds a channel's deliveries while the answer is no.

The send queues ask the gate before each delivery. A channel that is missing or lacks a permission keeps its
deliveries pending in the ledger (instead of settling each one as failed) and is checked again every
``discord.channel_recheck_seconds``; once it is fixed, what waited is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.errors import StoreError

log = logging.getLogger(__name__)


ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
# What a story post needs; the feed never reads history, so Read Message History is not required.
NEEDED = ((VIEW_CHANNEL, "View Channel"), (SEND_MESSAGES, "Send Messages"), (EMBED_LINKS, "Embed Links"))
# Text, announcement and the three thread kinds take plain messages; forum and media channels take posts (see
# bot/send/kinds/payloads.py); voice channels and categories take neither.
MESSAGE_CHANNEL_TYPES = frozenset({0, 5, 10, 11, 12, 15, 16})


@dataclass(frozen=True, slots=True)
class ChannelVerdict:
    ok: bool
    problem: str = ""  # why not, in words an admin can act on
    guild_id: int | None = None  # the channel's server, when Discord's answer named it (decides its shard)

    @classmethod
    def good(cls) -> ChannelVerdict:
        return cls(True)


def missing_channel(status: int) -> ChannelVerdict:
    """Discord answers 404 for a channel that does not exist and 403 for one the bot cannot see."""
    if status == 404:
        return ChannelVerdict(False, "does not exist (Discord: 404 Unknown Channel), or the bot is not in its server")
    return ChannelVerdict(False, "is not visible to the bot (Discord: 403 Missing Access)")


def permissions_in(
    channel: Mapping[str, Any], roles: Sequence[Mapping[str, Any]], member: Mapping[str, Any], *, owner: bool = False
) -> int:
    """The member's permission bits in the channel, following Discord's documented order: @everyone and the
    member's roles at server level, then the channel's @everyone, role and member overwrites."""
    if owner:
        return -1  # the server owner can do everything
    guild_id = str(channel.get("guild_id", ""))
    member_roles = {str(r) for r in member.get("roles", [])}
    user_id = str((member.get("user") or {}).get("id", ""))
    by_id = {str(r["id"]): int(r.get("permissions", 0)) for r in roles}
    base = by_id.get(guild_id, 0)
    for role_id in member_roles:
        base |= by_id.get(role_id, 0)
    if base & ADMINISTRATOR:
        return -1
    overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}

    def apply(perms: int, overwrite: Mapping[str, Any] | None) -> int:
        if overwrite is None:
            return perms
        return (perms & ~int(overwrite.get("deny", 0))) | int(overwrite.get("allow", 0))

    perms = apply(base, overwrites.get(guild_id))
    allow = deny = 0
    for role_id in member_roles:
        if role_id in overwrites and role_id != guild_id:
            allow |= int(overwrites[role_id].get("allow", 0))
            deny |= int(overwrites[role_id].get("deny", 0))
    perms = (perms & ~deny) | allow
    return apply(perms, overwrites.get(user_id) if user_id else None)


def judge(
    channel: Mapping[str, Any], roles: Sequence[Mapping[str, Any]], member: Mapping[str, Any], *, owner: bool = False
) -> ChannelVerdict:
    """ok, or what is wrong: not a message channel, or the permissions the bot lacks there."""
    kind = int(channel.get("type", 0))
    if kind not in MESSAGE_CHANNEL_TYPES:
        return ChannelVerdict(False, f"is not a text, announcement or forum channel (type {kind})")
    perms = permissions_in(channel, roles, member, owner=owner)
    if perms & VIEW_CHANNEL == 0:
        # Without View Channel, Discord ignores every other permission in the channel.
        return ChannelVerdict(False, "is not visible to the bot (missing View Channel)")
    lacking = [name for bit, name in NEEDED if perms & bit == 0]
    if lacking:
        return ChannelVerdict(False, f"lacks the bot permission {', '.join(lacking)}")
    return ChannelVerdict.good()


Probe = Callable[[int], Awaitable[ChannelVerdict]]
Blocked = Callable[[int, str, str], Awaitable[None]]
Changed = Callable[[dict[int, str]], Awaitable[None]]
Located = Callable[[int, int], Awaitable[None]]


class ChannelGate:
    """Holds a channel's deliveries while it can't be posted to. Each channel is checked the first time it is
    needed (or ``watch``ed); a check that cannot complete (Discord down, time-out) lets deliveries through,
    because the send queue's own retries handle an outage better than a closed gate."""

    def __init__(
        self,
        probe: Probe,
        *,
        recheck_seconds: float,
        label: Callable[[int], str],
        on_blocked: Blocked | None = None,
        on_change: Changed | None = None,
        on_guild: Located | None = None,
    ) -> None:
        self._probe = probe
        self._on_guild = on_guild
        self._recheck = recheck_seconds
        self._label = label
        self._on_blocked = on_blocked
        self._on_change = on_change
        self._first: dict[int, asyncio.Task[None]] = {}
        self._blocked: dict[int, str] = {}
        self._open: dict[int, asyncio.Event] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._extra: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> dict[int, str]:
        """Channels whose deliveries wait, with the reason."""
        return dict(self._blocked)

    def watch(self, channel_ids: Iterable[int]) -> None:
        """Check these channels now, without waiting for a delivery (start-up: report bad ones at once)."""
        for channel_id in channel_ids:
            self._first_check(channel_id)

    def recheck(self, channel_id: int) -> None:
        """Check a channel again now, in the background (an admin just changed its route)."""
        if channel_id not in self._first:
            self._first_check(channel_id)
            return
        task = asyncio.create_task(self._check(channel_id), name=f"recheck-{channel_id}")
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)

    async def report_waiting(self) -> None:
        """Record the channels waiting now (none before the first checks), replacing what an earlier run left."""
        await self._changed()

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._recheck_forever(), name="channel-recheck")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self._first.values(), *self._extra) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_open(self, channel_id: int) -> None:
        """Return once deliveries to ``channel_id`` may go ahead."""
        await asyncio.shield(self._first_check(channel_id))
        while channel_id in self._blocked:
            await self._event(channel_id).wait()

    async def settle(self, channel_ids: Iterable[int]) -> None:
        """Wait for the first check of these channels (what decides which shard's process posts to them)."""
        await asyncio.gather(*(asyncio.shield(self._first_check(c)) for c in channel_ids))

    async def recheck_all(self) -> None:
        for channel_id in list(self._blocked):
            await self._check(channel_id)

    def _first_check(self, channel_id: int) -> asyncio.Task[None]:
        task = self._first.get(channel_id)
        if task is None:
            task = self._first[channel_id] = asyncio.create_task(self._check(channel_id), name=f"check-{channel_id}")
        return task

    def _event(self, channel_id: int) -> asyncio.Event:
        return self._open.setdefault(channel_id, asyncio.Event())

    async def _check(self, channel_id: int) -> None:
        try:
            verdict = await self._probe(channel_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("Could not check channel %s (%s); sending to it as usual", channel_id, exc)
            verdict = ChannelVerdict.good()
        if verdict.guild_id is not None and self._on_guild is not None:
            try:
                await self._on_guild(channel_id, verdict.guild_id)
            except StoreError as exc:
                log.warning("Could not record the guild of channel %s: %s", channel_id, exc)
        was_blocked = channel_id in self._blocked
        if verdict.ok:
            if was_blocked:
                del self._blocked[channel_id]
                log.info("%s: channel %s is usable now; sending what waited", self._label(channel_id), channel_id)
                await self._changed()
            self._event(channel_id).set()
            return
        self._blocked[channel_id] = verdict.problem
        self._event(channel_id).clear()
        if was_blocked:
            return
        log.error(
            "%s: channel %s %s; its stories wait and are sent once it is fixed (checked every %gs)",
            self._label(channel_id),
            channel_id,
            verdict.problem,
            self._recheck,
        )
        await self._changed()
        if self._on_blocked is not None:
            try:
                await self._on_blocked(channel_id, self._label(channel_id), verdict.problem)
            except Exception:
                log.exception("Could not report channel %s", channel_id)

    async def _changed(self) -> None:
        if self._on_change is not None:
            try:
                await self._on_change(self.waiting)
            except Exception:
                log.exception("Could not record the waiting channels")

    async def _recheck_forever(self) -> None:
        while True:
            await asyncio.sleep(self._recheck)
            try:
                await self.recheck_all()
            except Exception:
                log.exception("Channel re-check failed; trying again in %gs", self._recheck)
