"""/newsdesk top: the most discussed stories per channel of the invoking server, over the last day or week.

The walls are /newsdesk status's: only channels the stored lookups or the gateway cache place in this server
(a channel whose server is unknown belongs to none). The text is built by the pure ``top_embed``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.render.embeds import DESCRIPTION_LIMIT, is_valid_url
from bot.render.listing import more_text
from bot.render.text import clean_line, escape_link_url, escape_markdown, truncate
from bot.store.signal_reads import Discussed

if TYPE_CHECKING:
    from bot.newsbot import NewsBot

PERIODS = {"day": 86400.0, "week": 7 * 86400.0}
PERIOD_NAMES = {"day": "the last 24 hours", "week": "the last 7 days"}
PER_CHANNEL = 5
TITLE_LIMIT = 120
TOP_COLOR = 0x2B6CB0


async def top_report(bot: NewsBot, guild_id: int, period: str, now: float | None = None) -> dict[str, Any]:
    """The embed for ``/newsdesk top period:`` in ``guild_id``."""
    store = bot.store
    stored = await store.run_concurrent(store.channel_guilds.all)
    guilds = {**stored, **bot.cached_channel_guilds(guild_id)}
    mine = [channel for channel, guild in guilds.items() if guild == guild_id]
    since = (time.time() if now is None else now) - PERIODS[period]
    found = await store.run_concurrent(store.signal_reads.most_discussed, mine, since, PER_CHANNEL)
    return top_embed(found, period)


def top_embed(found: Sequence[Discussed], period: str) -> dict[str, Any]:
    """Per channel, its most discussed stories with reactions and replies; whole lines only, then "…and N more"."""
    title = f"Most discussed in {PERIOD_NAMES[period]}"
    if not found:
        text = f"Nothing discussed yet in {PERIOD_NAMES[period]}: no reactions or replies on this server's posts."
        return {"title": title, "description": text, "color": TOP_COLOR}
    lines: list[str] = []
    channel = None
    used = 0
    for shown, item in enumerate(found):
        block = [f"**<#{item.channel_id}>**"] if item.channel_id != channel else []
        block.append(_line(item))
        size = sum(len(line) + 1 for line in block)
        if used + size + len(more_text(len(found))) + 1 > DESCRIPTION_LIMIT:
            lines.append(more_text(len(found) - shown))
            break
        lines += block
        used += size
        channel = item.channel_id
    return {"title": title, "description": "\n".join(lines), "color": TOP_COLOR}


def _line(item: Discussed) -> str:
    title = escape_markdown(truncate(clean_line(item.title), TITLE_LIMIT), strict=True) or "(untitled)"
    url = escape_link_url(item.web_url)
    head = f"[{title}]({url})" if is_valid_url(item.web_url) else title
    counts = item.engagement
    return f"• {head} · 👍 {max(0, counts.reactions)} · 💬 {max(0, counts.replies)}"
