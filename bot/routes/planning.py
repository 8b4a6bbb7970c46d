"""Deciding what a story change means for its messages: post, edit, delete or cancel. Pure functions, no SQL.

The store loads each changed story's state from before a batch and calls the planner inside the batch's
transaction, with a read-only :class:`LedgerView` of that transaction (which channels have the story, how many
posts a channel had today); the ledger then records the actions planned here. Routing is handed in as
``channels_for``: a plain function, or a :class:`Router` that also knows caps and per-route ``on_unpublish``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.stories.story import Story


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
    CAP = "cap"  # over the route's daily cap: recorded as capped (never posted; counted in status)


@dataclass(frozen=True, slots=True)
class Action:
    """What the ledger is told to record for one story."""

    kind: ActionKind
    story_id: int
    channels: tuple[int, ...] = ()  # for EDIT, DELETE and CANCEL: () means every channel of the story


@dataclass(frozen=True, slots=True)
class StoryBefore:
    """A story's stored state before a batch changed it."""

    published: bool
    present: bool
    fingerprint: str | None
    live_since: float | None = None  # when it last became live (see ``stories.live_since``)


@dataclass(frozen=True, slots=True)
class StoryChange:
    """One story a batch touched: ``before`` is None for a new story, ``after`` None when it lost its last file."""

    story_id: int
    before: StoryBefore | None
    after: Story | None
    fingerprint: str | None = None


PostsSince = Callable[[int, float], int]  # (channel id, unix time) -> posts planned there since then


class LedgerView(Protocol):
    """Read-only ledger facts for the planner, read inside the batch's transaction (the store supplies them)."""

    def live_channels(self, story_id: int) -> Collection[int]: ...  # channels with the story posted or queued
    def posts_since(self, channel_id: int, since: float) -> int: ...


@dataclass(frozen=True, slots=True)
class RouteChoice:
    """Where a story goes: ``post`` takes it now, ``capped`` would but its daily cap is reached, ``matching`` is
    every channel whose route wants the story as it is (ignoring max_age and caps), for routing edits."""

    post: tuple[int, ...] = ()
    capped: tuple[int, ...] = ()
    matching: tuple[int, ...] = ()


@runtime_checkable
class Router(Protocol):
    """Routing with rules (``bot.routes.routing.RouteTable``)."""

    def choose(self, story: Story, posts_since: PostsSince | None, live_since: float | None = None) -> RouteChoice: ...
    def on_unpublish_for(self, channel_id: int) -> OnUnpublish | None: ...
    def routed_channels(self) -> Collection[int]: ...


# Decides the ledger actions for a batch's story changes; the store calls it inside the batch's transaction.
Planner = Callable[[Sequence[StoryChange], LedgerView | None], list[Action]]
ChannelsFor = Callable[[Story], Iterable[int]]


class _Plain:
    """A plain ``channels_for`` function as a router: no caps, no per-route on_unpublish, edits stay in place."""

    def __init__(self, channels_for: ChannelsFor) -> None:
        self._channels_for = channels_for

    def choose(self, story: Story, posts_since: PostsSince | None, live_since: float | None = None) -> RouteChoice:
        channels = tuple(dict.fromkeys(self._channels_for(story)))
        return RouteChoice(post=channels, matching=channels)

    def on_unpublish_for(self, channel_id: int) -> OnUnpublish | None:
        return None

    def routed_channels(self) -> Collection[int]:
        return ()


def plan_actions(
    changes: Iterable[StoryChange],
    *,
    channels_for: ChannelsFor | Router,
    announce: bool,
    on_unpublish: OnUnpublish | str,
    ledger: LedgerView | None = None,
) -> list[Action]:
    """The actions a batch of story changes causes, in order.

    A story is posted when it becomes published (unless ``announce`` is False: the first run's silent baseline),
    edited when a published story's content changes, and its messages deleted (or kept) when it stops being live.
    With a :class:`Router` and a ``ledger``, an edit also follows routing: channels whose route now matches get a
    post, channels whose route no longer matches follow that route's ``on_unpublish``; daily caps count the posts
    planned earlier in the same batch.
    """
    router = channels_for if isinstance(channels_for, Router) else _Plain(channels_for)
    planner = _BatchPlanner(router, ledger, announce, OnUnpublish(on_unpublish))
    actions: list[Action] = []
    for change in changes:
        actions += planner.plan(change)
    return actions


class _BatchPlanner:
    def __init__(self, router: Router, ledger: LedgerView | None, announce: bool, on_unpublish: OnUnpublish) -> None:
        self.router = router
        self.ledger = ledger
        self.announce = announce
        self.on_unpublish = on_unpublish
        self.planned: Counter[int] = Counter()  # posts planned per channel in this batch, for daily caps

    def posts_since(self, channel_id: int, since: float) -> int:
        before = self.ledger.posts_since(channel_id, since) if self.ledger is not None else 0
        return before + self.planned[channel_id]

    def plan(self, change: StoryChange) -> list[Action]:
        before, after = change.before, change.after
        was_live = bool(before and before.present and before.published)
        now_published = bool(after and after.published)
        if after is not None and now_published and not was_live:
            if not self.announce:
                return []
            return self._admit(change.story_id, self.router.choose(after, self.posts_since), skip=())
        if after is not None and now_published and before is not None and before.fingerprint != change.fingerprint:
            # Unknown (a row from before live_since was kept): as old as can be, so it never floods a route.
            return self._edit(change.story_id, after, before.live_since or 0.0)
        if was_live and not now_published:
            return self._unpublish(change.story_id)
        return []

    def _admit(self, story_id: int, choice: RouteChoice, skip: Collection[int]) -> list[Action]:
        posting = [c for c in choice.post if c not in skip]
        capped = [c for c in choice.capped if c not in skip]
        self.planned.update(posting)
        actions = [post(story_id, posting)] if posting or not skip else []
        if capped:
            actions.append(Action(ActionKind.CAP, story_id, tuple(capped)))
        return actions

    def _edit(self, story_id: int, story: Story, live_since: float) -> list[Action]:
        routed = self.router.routed_channels()
        if self.ledger is None or not routed:
            return [Action(ActionKind.EDIT, story_id)]
        live = set(self.ledger.live_channels(story_id))
        # A route the story is new to takes it now; one that began after it went live keeps it as its archive.
        choice = self.router.choose(story, self.posts_since, live_since)
        matching = set(choice.matching)
        gone = [c for c in live if c in routed and c not in matching]
        actions = self._withdraw(story_id, gone) if gone else []
        kept = tuple(c for c in live if c not in gone)
        if kept:
            actions.append(Action(ActionKind.EDIT, story_id, kept))
        return actions + self._admit(story_id, choice, skip=live)

    def _unpublish(self, story_id: int) -> list[Action]:
        routed = self.router.routed_channels()
        overrides = any(self.router.on_unpublish_for(c) not in (None, self.on_unpublish) for c in routed)
        if self.ledger is None or not overrides:
            return [unpublish(story_id, self.on_unpublish)]
        return self._withdraw(story_id, list(self.ledger.live_channels(story_id)))

    def _withdraw(self, story_id: int, channels: list[int]) -> list[Action]:
        """Each channel's message follows its route's ``on_unpublish`` (else ``articles.on_unpublish``)."""
        modes = {c: self.router.on_unpublish_for(c) or self.on_unpublish for c in channels}
        actions = []
        for mode, kind in ((OnUnpublish.DELETE, ActionKind.DELETE), (OnUnpublish.KEEP, ActionKind.CANCEL)):
            chosen = tuple(c for c in channels if modes[c] is mode)
            if chosen:
                actions.append(Action(kind, story_id, chosen))
        return actions


def post(story_id: int, channels: Iterable[int]) -> Action:
    return Action(ActionKind.POST, story_id, tuple(dict.fromkeys(channels)))


def unpublish(story_id: int, on_unpublish: OnUnpublish | str) -> Action:
    kind = ActionKind.DELETE if OnUnpublish(on_unpublish) is OnUnpublish.DELETE else ActionKind.CANCEL
    return Action(kind, story_id)


def make_planner(channels_for: ChannelsFor | Router, *, announce: bool, on_unpublish: OnUnpublish | str) -> Planner:
    def planner(changes: Sequence[StoryChange], ledger: LedgerView | None = None) -> list[Action]:
        return plan_actions(
            changes, channels_for=channels_for, announce=announce, on_unpublish=on_unpublish, ledger=ledger
        )

    return planner
