"""Answering an interaction inside Discord's 3-second window, however slow the store is.

A command that writes or waits on the store or the pipeline calls ``defer`` before anything else and answers
with ``tell``: the folder's scan holds the store's serial thread for as long as it takes, and a write waits for
the database's lock. /news and its buttons, which only read, defer only when the read is slow (``run_or_defer``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

import discord

from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

# Discord drops an interaction not answered within 3 s; deferring at 2 s leaves room for the network.
DEFER_AFTER = 2.0


async def defer(interaction: discord.Interaction) -> None:
    """Acknowledge now, privately ("thinking..."); the answer follows through ``tell``."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


async def run_or_defer(
    interaction: discord.Interaction,
    store: Store,
    work: Callable[..., T],
    *args: Any,
    update: bool,
    ephemeral: bool = True,
) -> T:
    """Run ``work`` on the store's threads (the event loop must not wait on SQLite); defer the answer if slow.

    ``update`` answers a button or menu by editing its message; otherwise a new message is coming.
    """
    task = asyncio.ensure_future(store.run_concurrent(work, *args))
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        log.info("Store slow for %s: deferring the answer", interaction.id)
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return await task


async def reply(interaction: discord.Interaction, *, update: bool, ephemeral: bool = True, **fields: Any) -> None:
    """Send the answer: the first response, or an edit of the deferred one."""
    if interaction.response.is_done():
        await interaction.edit_original_response(**fields)
    elif update:
        await interaction.response.edit_message(**fields)
    else:
        await interaction.response.send_message(ephemeral=ephemeral, **fields)


async def tell(interaction: discord.Interaction, message: str | None = None, **fields: Any) -> None:
    """A private answer to the member, whether or not the interaction was acknowledged (deferred) already."""
    if interaction.response.is_done():
        await interaction.followup.send(discord.utils.MISSING if message is None else message, ephemeral=True, **fields)
    else:
        await interaction.response.send_message(message, ephemeral=True, **fields)


def slow_down(wait: float, now: float | None = None) -> str:
    """The answer to a member over their /news budget: when they may go on, as a timestamp Discord counts down."""
    when = math.ceil((time.time() if now is None else now) + wait)
    return f"You're searching faster than I can keep up: try again <t:{when}:R>."
