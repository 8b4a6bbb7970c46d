"""Which members a new story is for: their follows (a topic, a provider, or words) against the story. Pure.

One DM per member and story however many of their follows match: the reason shown ("You follow AI") is the
follow they made first, and the DM is instant when any matching follow is instant, else it waits for their
personal digest. A follow made after the story went live never matches it (the archive rule: following AI
today does not bring yesterday's AI stories), nor does a follow made in a server whose admins turned following
off, nor any follow of a paused member.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.routes.route_rules import has_phrase
from bot.stories.story import Story

TOPIC, PROVIDER, WORDS = "topic", "provider", "words"  # bot.store.personal_tables.FollowKind's values
INSTANT = "instant"


@dataclass(frozen=True, slots=True)
class Follow:
    user_id: int
    kind: str
    norm: str  # the match key: casefolded topic or provider name, normalised words
    value: str  # as the member wrote it: the reason's text
    mode: str
    guild_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class DmPlan:
    user_id: int
    reason: str  # the follow's value: "AI" reads "You follow AI"
    instant: bool


def story_topics(story: Story) -> set[str]:
    return {t.casefold() for t in story.topics}


def story_provider(story: Story) -> str | None:
    return story.provider.name.casefold() if story.provider else None


def matches(follow: Follow, story: Story) -> bool:
    if follow.kind == TOPIC:
        return follow.norm in story_topics(story)
    if follow.kind == PROVIDER:
        return follow.norm == story_provider(story)
    if follow.kind == WORDS:
        return has_phrase(f"{story.title}\n{story.excerpt}", follow.norm)
    return False


def plan(
    story: Story,
    follows: Iterable[Follow],
    *,
    live_since: float,
    paused: Collection[int] = (),
    off_guilds: Collection[int] = (),
) -> list[DmPlan]:
    """One plan per member with a matching follow, in member order."""
    chosen: dict[int, list[Follow]] = {}
    for follow in follows:
        if follow.created_at > live_since or follow.user_id in paused:
            continue
        if follow.guild_id is not None and follow.guild_id in off_guilds:
            continue
        if matches(follow, story):
            chosen.setdefault(follow.user_id, []).append(follow)
    plans = []
    for user_id in sorted(chosen):
        found = sorted(chosen[user_id], key=lambda f: (f.created_at, f.kind, f.norm))
        plans.append(DmPlan(user_id, found[0].value, any(f.mode == INSTANT for f in found)))
    return plans
