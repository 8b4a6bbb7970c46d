"""Whether a channel's posts carry the Follow component: following is on in the config (``personal.enabled``)
and the channel's server has not turned it off (``/newsdesk personal``). Asked per post, so an admin's switch
shows on the next post without a restart, in every process of a cluster."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.store.errors import StoreError

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

FollowSwitch = Callable[[int], Awaitable[bool]]  # channel id → show the Follow component on its posts


def follow_switch(enabled: bool, store: Store, guild_of: Callable[[int], int | None]) -> FollowSwitch:
    async def follow_on(channel_id: int) -> bool:
        if not enabled:
            return False
        guild = guild_of(channel_id)
        if guild is None:
            return True  # a server nobody knows yet: the config's choice
        try:
            return await store.run_concurrent(store.follows.guild_enabled, guild, True)
        except StoreError as exc:
            log.warning("Could not read whether server %s allows following (%s); showing the Follow button", guild, exc)
            return True

    return follow_on
