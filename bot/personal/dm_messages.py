"""What a member's DMs look like: one story with its reason, a bundle after quiet hours, their digest, the
"N more stories" line. Pure and Discord-free, like ``bot.render.embeds``; nothing in a DM ever pings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from bot.digest.render import build_digest_messages
from bot.render.embeds import EMBED_TOTAL_LIMIT, build_story_message, embed_length
from bot.render.text import clean_line, escape_markdown, truncate
from bot.stories.story import Story

NO_PINGS: dict[str, Any] = {"parse": [], "replied_user": False}
EMBEDS_PER_MESSAGE = 10
CONTENT_LIMIT = 2000
DIGEST_NAME = "Your Newsdesk"  # the digest header adds " digest"


def reason_line(reason: str) -> str:
    return f"You follow {escape_markdown(clean_line(reason))}"


def story_dm(story: Story, reason: str) -> dict[str, Any]:
    """One story as a channel gets it (the embed and its link buttons), with why the member got it."""
    payload = build_story_message(story, follow=False)  # they follow it already; the buttons are for channels
    return {**payload, "content": reason_line(reason), "allowed_mentions": NO_PINGS}


def bundles(entries: Sequence[tuple[int, Story, str]]) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """(story ids, payload) per message for DMs that waited (quiet hours): compact embeds, at most 10 and
    6,000 characters a message, with one line naming what the member follows."""
    if len(entries) == 1:
        story_id, story, reason = entries[0]
        return [((story_id,), story_dm(story, reason))]
    found: list[tuple[tuple[int, ...], dict[str, Any]]] = []
    ids: list[int] = []
    embeds: list[dict[str, Any]] = []
    reasons: list[str] = []
    used = 0
    for story_id, story, reason in entries:
        embed = build_story_message(story, style="compact")["embeds"][0]
        size = embed_length(embed)
        if embeds and (len(embeds) == EMBEDS_PER_MESSAGE or used + size > EMBED_TOTAL_LIMIT):
            found.append((tuple(ids), _bundle(embeds, reasons)))
            ids, embeds, reasons, used = [], [], [], 0
        ids.append(story_id)
        embeds.append(embed)
        reasons.append(reason)
        used += size
    found.append((tuple(ids), _bundle(embeds, reasons)))
    return found


def _bundle(embeds: list[dict[str, Any]], reasons: list[str]) -> dict[str, Any]:
    follows = ", ".join(escape_markdown(clean_line(r)) for r in dict.fromkeys(reasons))
    content = truncate(f"{len(embeds)} stories while you were away. You follow {follows}", CONTENT_LIMIT)
    return {"content": content, "embeds": embeds, "allowed_mentions": NO_PINGS}


def digest_dms(
    entries: Sequence[tuple[int, Story]], *, window_start: float, window_end: float
) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """The member's personal digest (best first, as ranked for channel digests), in the channel digest's look."""
    messages = build_digest_messages(DIGEST_NAME, entries, window_start=window_start, window_end=window_end)
    return [(m.story_ids, {**m.payload, "allowed_mentions": NO_PINGS}) for m in messages]


def capped_line(count: int, cap: int) -> dict[str, Any]:
    """Sent once for a day whose DMs went over the member's daily cap (and who has no digest to take them)."""
    noun = "story" if count == 1 else "stories"
    text = (
        f"{count} more {noun} you follow came in after your daily cap of {cap} DMs was reached. "
        "`/follow settings daily_cap:` raises it; a personal digest collects them instead."
    )
    return {"content": text, "allowed_mentions": NO_PINGS}


def dm_nonce(user_id: int, kind: str, story_ids: Sequence[int]) -> str:
    """Same member, kind and stories → same nonce: Discord drops a resend after a crash between post and record."""
    blob = f"dm\x00{kind}\x00{user_id}\x00{','.join(map(str, story_ids))}"
    return hashlib.sha256(blob.encode()).hexdigest()[:25]
