"""The planner's decisions, without SQL: what a story change means for its messages."""

from __future__ import annotations

from bot.routes.planning import Action, ActionKind, OnUnpublish, StoryBefore, StoryChange, plan_actions, post, unpublish
from bot.stories.parser import parse_story_text
from bot.stories.story import Story
from tests.storyfiles import story_text

LIVE = StoryBefore(published=True, present=True, fingerprint="fp1")
DRAFT = StoryBefore(published=False, present=True, fingerprint="fp1")
GONE = StoryBefore(published=True, present=False, fingerprint="fp1")


def story(published: bool = True, **fields: object) -> Story:
    fields.setdefault("topics", ["Science"])
    return parse_story_text(story_text(1, published=published, **fields), "a.md")


def channels_for(s: Story) -> list[int]:
    return [7, 8, 7] if "AI" in s.topics else [9]


def plan(*changes: StoryChange, announce: bool = True, on_unpublish: str = "delete") -> list[Action]:
    return plan_actions(changes, channels_for=channels_for, announce=announce, on_unpublish=on_unpublish)


def test_a_new_published_story_is_posted_to_its_routed_channels_once_each() -> None:
    change = StoryChange(1, None, story(topics=["AI"]), "fp1")
    assert plan(change) == [Action(ActionKind.POST, 1, (7, 8))]


def test_the_first_runs_baseline_posts_nothing_new() -> None:
    assert plan(StoryChange(1, None, story(), "fp1"), announce=False) == []


def test_a_new_draft_is_not_posted() -> None:
    assert plan(StoryChange(1, None, story(published=False), "fp1")) == []


def test_flipping_to_published_posts() -> None:
    assert plan(StoryChange(1, DRAFT, story(), "fp1")) == [Action(ActionKind.POST, 1, (9,))]


def test_a_story_back_after_its_file_was_deleted_is_posted_again() -> None:
    assert plan(StoryChange(1, GONE, story(), "fp1")) == [Action(ActionKind.POST, 1, (9,))]


def test_changed_content_of_a_live_story_is_an_edit() -> None:
    assert plan(StoryChange(1, LIVE, story(), "fp2")) == [Action(ActionKind.EDIT, 1)]


def test_unchanged_content_plans_nothing() -> None:
    assert plan(StoryChange(1, LIVE, story(), "fp1")) == []


def test_unpublishing_deletes_or_keeps_as_configured() -> None:
    change = StoryChange(1, LIVE, story(published=False), "fp2")
    assert plan(change) == [Action(ActionKind.DELETE, 1)]
    assert plan(change, on_unpublish="keep") == [Action(ActionKind.CANCEL, 1)]


def test_a_live_story_losing_its_last_file_is_unpublished() -> None:
    assert plan(StoryChange(1, LIVE, None)) == [Action(ActionKind.DELETE, 1)]


def test_a_draft_losing_its_last_file_plans_nothing() -> None:
    assert plan(StoryChange(1, DRAFT, None)) == []


def test_a_batch_keeps_its_order_and_skips_no_ops() -> None:
    changes = [
        StoryChange(3, LIVE, None),
        StoryChange(1, LIVE, story(), "fp1"),
        StoryChange(2, None, story(topics=["AI"]), "fp"),
    ]
    assert plan(*changes) == [Action(ActionKind.DELETE, 3), Action(ActionKind.POST, 2, (7, 8))]


def test_helpers_and_modes_keep_their_stored_strings() -> None:
    assert post(5, [1, 1, 2]) == Action(ActionKind.POST, 5, (1, 2))
    assert unpublish(5, OnUnpublish.KEEP).kind is ActionKind.CANCEL
    assert OnUnpublish("delete") == "delete" and ActionKind.EDIT == "edit"
