"""DM planning in the story's own transaction, on both backends: who gets a story, once, and why."""

from __future__ import annotations

import time

import pytest

from bot.personal.matching import Follow, matches, plan
from bot.routes.planning import make_planner
from bot.store import Store
from bot.store.errors import StoreError
from bot.store.records import FileRemoved
from tests.personal_rows import dm_rows, follow_row, insert_rows, settings_row
from tests.storyfiles import parsed_file


@pytest.fixture(autouse=True)
def plans_dms(store: Store) -> None:
    store.plans_dms = True  # as the bot opens it in Discord mode (bot/app.py)


PLANNER = make_planner(lambda s: [5], announce=True, on_unpublish="delete")


def test_topic_provider_and_words_match_and_the_first_follow_is_the_reason(store: Store) -> None:
    old = time.time() - 600
    insert_rows(
        store.engine,
        follow=[
            follow_row(1, "ai", created_at=old),
            follow_row(2, "Example News", kind="provider", created_at=old),
            follow_row(3, "story number", kind="words", created_at=old),
            follow_row(4, "Space", created_at=old),
            follow_row(5, "numb", kind="words", created_at=old),  # not a whole word of the title
            # Two matching follows: one row, the reason the follow made first, instant as one of them is.
            follow_row(6, "Example News", kind="provider", mode="digest", created_at=old - 10),
            follow_row(6, "AI", created_at=old),
            follow_row(7, "AI", mode="digest", created_at=old),
        ],
    )
    result = store.apply([parsed_file("1.md", 1, topics=["AI", "Robots"])], PLANNER)
    assert result.dms == 5
    rows = {r["user_id"]: (r["state"], r["reason"]) for r in dm_rows(store.engine)}
    assert rows == {
        1: ("post", "ai"),
        2: ("post", "Example News"),
        3: ("post", "story number"),
        6: ("post", "Example News"),
        7: ("digest", "AI"),
    }


def test_a_follow_made_after_the_story_went_live_never_gets_it(store: Store) -> None:
    store.apply([parsed_file("1.md", 1)], PLANNER)
    insert_rows(store.engine, follow=[follow_row(1, "AI", created_at=time.time() + 1)])
    # The same story edited (still live since before the follow) and a new story: only the new one is planned.
    store.apply([parsed_file("1.md", 1, title="Edited title"), parsed_file("2.md", 2)], PLANNER)
    assert [(r["story_id"], r["user_id"]) for r in dm_rows(store.engine)] == []
    insert_rows(store.engine, follow=[follow_row(2, "AI")])
    store.apply([parsed_file("3.md", 3)], PLANNER)
    assert [(r["story_id"], r["user_id"]) for r in dm_rows(store.engine)] == [(3, 2)]


def test_paused_members_and_servers_with_following_off_are_skipped(store: Store) -> None:
    insert_rows(
        store.engine,
        follow=[follow_row(1, "AI"), follow_row(2, "AI", guild_id=900), follow_row(3, "AI", guild_id=901)],
        settings=[settings_row(1, paused=True, paused_reason="member")],
        guilds={900: False, 901: True},
    )
    store.apply([parsed_file("1.md", 1)], PLANNER)
    assert [r["user_id"] for r in dm_rows(store.engine)] == [3]


def test_the_first_runs_silent_index_and_a_store_without_dms_plan_nothing(store: Store) -> None:
    insert_rows(store.engine, follow=[follow_row(1, "AI")])
    store.apply([parsed_file("1.md", 1)], PLANNER, announce=False)
    assert dm_rows(store.engine) == []
    store.plans_dms = False
    store.apply([parsed_file("2.md", 2)], PLANNER)
    assert dm_rows(store.engine) == []


def test_unpublish_and_delete_cancel_what_was_not_sent_and_republishing_never_plans_twice(store: Store) -> None:
    insert_rows(store.engine, follow=[follow_row(1, "AI"), follow_row(2, "AI", mode="digest")])
    store.apply([parsed_file("1.md", 1), parsed_file("2.md", 2)], PLANNER)
    store.dm_ledger.sent([(2, 1)], message_id=77, now=time.time())
    store.apply([parsed_file("1.md", 1, published=False), FileRemoved("2.md")], PLANNER)
    states = {(r["story_id"], r["user_id"]): r["state"] for r in dm_rows(store.engine)}
    assert states == {(1, 1): "cancelled", (1, 2): "cancelled", (2, 1): "sent", (2, 2): "cancelled"}
    store.apply([parsed_file("1.md", 1)], PLANNER)  # published again
    assert len(dm_rows(store.engine)) == 4
    assert {r["state"] for r in dm_rows(store.engine) if r["story_id"] == 1} == {"cancelled"}


def test_planning_is_part_of_the_storys_transaction(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while recording the DMs rolls the story back too: both are written, or neither."""
    insert_rows(store.engine, follow=[follow_row(1, "AI")])

    def broken(*args: object, **kwargs: object) -> int:
        raise StoreError("disk full")

    monkeypatch.setattr("bot.store.indexing.plan_dms", broken)
    with pytest.raises(StoreError):
        store.apply([parsed_file("1.md", 1)], PLANNER)
    assert store.counts()["stories"] == 0 and store.ledger.pending() == []
    monkeypatch.undo()
    store.apply([parsed_file("1.md", 1)], PLANNER)
    assert [r["user_id"] for r in dm_rows(store.engine)] == [1]  # PostgreSQL's ids skip the rolled-back one


def test_matching_is_pure() -> None:
    story = parsed_file("1.md", 1, title="Rust 2.0 is out", excerpt="A said thing.", topics=["Programming"]).story
    words = Follow(1, "words", "ai", "AI", "instant", None, 0.0)
    assert not matches(words, story), "AI is not a whole word of 'said'"
    rust = Follow(2, "words", "rust 2.0", "Rust 2.0", "instant", None, 0.0)
    assert matches(rust, story)
    assert plan(story, [rust], live_since=10.0) == plan(story, [rust, rust], live_since=10.0)
    assert plan(story, [rust], live_since=-1.0) == []
