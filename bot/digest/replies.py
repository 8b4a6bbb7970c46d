"""What ``/digest`` answers, as plain text (Discord markup, but no discord.py), so the wording is unit-tested."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.digest.runs import DigestPlan, RunOutcome
from bot.options import OptionError
from bot.render.listing import more_text
from bot.render.text import clean_line, discord_timestamp, escape_markdown, truncate
from bot.store.digests import DigestRow, RunStatus

LIST_LIMIT = 4000  # an embed description holds 4096


def option_error(exc: OptionError) -> str:
    example = f" Example: `{exc.example}`" if exc.example else ""
    return f"`{exc.option}`: {clean_line(exc.reason)}.{example}"


def when(moment: datetime | None) -> str:
    """A time every member sees in their own time zone (Discord renders ``<t:…:F>`` locally)."""
    return discord_timestamp(moment, "F") if moment is not None else "not scheduled"


def not_found_text(name: str) -> str:
    # What a member typed: cleaned and escaped, so it can neither ping nor break the message's markdown.
    return f"No digest named **{escape_markdown(clean_line(name.strip()[:40]))}** here; `/digest list` shows them."


def config_owned_text(row: DigestRow) -> str:
    return (
        f"Digest **{row.spec.name}** is declared in the bot's config file (`digests:`); "
        "change or remove it there, or pick another name."
    )


def digest_line(row: DigestRow, next_run: datetime | None) -> str:
    spec = row.spec
    source = " · *config file*" if row.from_config else ""
    filters = escape_markdown(truncate(clean_line(spec.describe_filters()), 300))
    return (
        # Validated cron fields and zone names hold no backtick, so a code span shows them exactly as written.
        f"**{escape_markdown(spec.name)}** → <#{spec.channel_id}> · `{spec.schedule.describe()}`"
        f" · next {when(next_run)}\n{filters}{source}"
    )


def list_text(lines: Sequence[str]) -> str:
    if not lines:
        return "No digests yet. Create one with `/digest schedule`."
    text = ""
    for shown, line in enumerate(lines):
        more = f"\n\n{more_text(len(lines) - shown)}"
        if len(text) + len(line) + 2 + len(more) > LIST_LIMIT:
            return text + more
        text = f"{text}\n\n{line}" if text else line
    return text


def scheduled_text(row: DigestRow, next_run: datetime | None, *, replaced: bool, warning: str = "") -> str:
    verb = "Replaced" if replaced else "Scheduled"
    return f"{verb} digest {digest_line(row, next_run)}{warning}"


def skipped_text(plan: DigestPlan) -> str:
    spec = plan.digest.spec
    return (
        f"Nothing would be posted now: {plan.available} new {'story' if plan.available == 1 else 'stories'} "
        f"matched since {discord_timestamp(plan.window_start)}, and `min_items` is {spec.min_items}."
    )


def preview_header(plan: DigestPlan) -> str:
    count = len(plan.messages)
    return (
        f"Preview: `/digest run` would post this now to <#{plan.digest.spec.channel_id}> "
        f"({plan.story_count} stories in {count} message{'s' if count != 1 else ''}). Only you can see it."
    )


def outcome_text(outcome: RunOutcome, channel_id: int) -> str:
    if outcome.status == RunStatus.SENT:
        count, noun = len(outcome.message_ids), "story" if outcome.stories == 1 else "stories"
        return f"Posted {outcome.stories} {noun} to <#{channel_id}> in {count} message{'s' if count != 1 else ''}."
    if outcome.status == RunStatus.SKIPPED and outcome.plan is not None:
        return skipped_text(outcome.plan).replace("would be posted", "was posted")
    if outcome.status == RunStatus.MISSING:
        return "That digest was removed meanwhile."
    reason = clean_line(outcome.error or "unknown error")
    done = f" {outcome.stories} stories went out before it failed." if outcome.stories else ""
    return (
        f"Could not post to <#{channel_id}>: {truncate(reason, 300)}.{done} "
        "Check that I can send messages and embed links there; the digest stays scheduled."
    )
