"""Deciding what a story change means for its messages: post, edit, delete or cancel. Pure functions, no SQL.

The store loads each changed story's state from before a batch and calls the planner inside the batch's
transaction; the ledger then records the actions planned here. Routing is handed in as ``channels_for``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.story import Story


class OnUnpublish(StrEnum):
    """``articles.on_unpublish``: what happens to posted messages when their story is unpublished or deleted."""

    DELETE = "delete"
    KEEP = "keep"


class BackfillMode(StrEnum):
    """``articles.backfill``: which already-published stories the very first run posts."""

    NONE = "none"
    LATEST = "latest"
    ALL = "all"


class ActionKind(StrEnum):
    POST = "post"  # make sure each of ``channels`` gets (or keeps) a current message
    EDIT = "edit"  # the content changed: posted messages need an edit
    DELETE = "delete"  # delete the story's messages
    CANCEL = "cancel"  # keep posted messages, but drop posts not yet confirmed


@dataclass(frozen=True, slots=True)
class Action:
    """What the ledger is told to record for one story."""

    kind: ActionKind
    story_id: int
    channels: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryBefore:
    """A story's stored state before a batch changed it."""

    published: bool
    present: bool
    fingerprint: str | None


@dataclass(frozen=True, slots=True)
class StoryChange:
    """One story a batch touched: ``before`` is None for a new story, ``after`` None when it lost its last file."""

    story_id: int
    before: StoryBefore | None
    after: Story | None
    fingerprint: str | None = None


# Decides the ledger actions for a batch's story changes; the store calls it inside the batch's transaction.
Planner = Callable[[Sequence[StoryChange]], list[Action]]
ChannelsFor = Callable[[Story], Iterable[int]]


def plan_actions(
    changes: Iterable[StoryChange], *, channels_for: ChannelsFor, announce: bool, on_unpublish: OnUnpublish | str
) -> list[Action]:
    """The actions a batch of story changes causes, in order.

    A story is posted when it becomes published (unless ``announce`` is False: the first run's silent baseline),
    edited when a published story's content changes, and its messages deleted (or kept) when it stops being live.
    """
    actions: list[Action] = []
    mode = OnUnpublish(on_unpublish)
    for change in changes:
        action = _plan_one(change, channels_for, announce, mode)
        if action is not None:
            actions.append(action)
    return actions


def _plan_one(
    change: StoryChange, channels_for: ChannelsFor, announce: bool, on_unpublish: OnUnpublish
) -> Action | None:
    before, after = change.before, change.after
    was_live = bool(before and before.present and before.published)
    now_published = bool(after and after.published)
    if after is not None and now_published and not was_live:
        return post(change.story_id, channels_for(after)) if announce else None
    if now_published and before is not None and before.fingerprint != change.fingerprint:
        return Action(ActionKind.EDIT, change.story_id)
    if was_live and not now_published:
        return unpublish(change.story_id, on_unpublish)
    return None


def post(story_id: int, channels: Iterable[int]) -> Action:
    return Action(ActionKind.POST, story_id, tuple(dict.fromkeys(channels)))


def unpublish(story_id: int, on_unpublish: OnUnpublish | str) -> Action:
    kind = ActionKind.DELETE if OnUnpublish(on_unpublish) is OnUnpublish.DELETE else ActionKind.CANCEL
    return Action(kind, story_id)


def make_planner(channels_for: ChannelsFor, *, announce: bool, on_unpublish: OnUnpublish | str) -> Planner:
    def planner(changes: Sequence[StoryChange]) -> list[Action]:
        return plan_actions(changes, channels_for=channels_for, announce=announce, on_unpublish=on_unpublish)

    return planner
