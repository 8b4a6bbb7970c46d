"""``store.follows`` on both backends: the follow limit, a re-follow changing the mode, pause and resume, the
closed-DMs notice told once, the servers' switch, and ``forget`` leaving no row keyed by the member."""

from __future__ import annotations

import threading

from sqlalchemy import Table, func, select, update

from bot.routes.planning import make_planner
from bot.store import Store
from bot.store.follows import Added, Forgotten, MemberSettings
from bot.store.personal_tables import DmState, FollowKind, FollowMode, dm_deliveries, follows, member_settings
from bot.store.schema import stories
from tests.storyfiles import parsed_file

ALICE, BOB = 100000000000000001, 100000000000000002
GUILD = 300000000000000001
TOPIC, PROVIDER, WORDS = FollowKind.TOPIC, FollowKind.PROVIDER, FollowKind.WORDS
INSTANT, DIGEST = FollowMode.INSTANT, FollowMode.DIGEST


def follow(store: Store, user: int, norm: str, *, mode: FollowMode = INSTANT, limit: int = 25) -> Added:
    return store.follows.add(user, TOPIC, norm, norm.upper(), mode, GUILD, max_follows=limit).outcome


def rows(store: Store, table: Table, user: int) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table).where(table.c.user_id == user)) or 0


def test_add_lists_and_refuses_past_the_limit(store: Store) -> None:
    assert follow(store, ALICE, "ai", limit=2) is Added.NEW
    assert store.follows.add(ALICE, PROVIDER, "wire desk", "Wire Desk", DIGEST, None, max_follows=2).count == 2
    full = store.follows.add(ALICE, WORDS, "quantum", "quantum", INSTANT, GUILD, max_follows=2)
    assert (full.outcome, full.count, full.limit) == (Added.FULL, 2, 2)
    assert follow(store, BOB, "ai", limit=2) is Added.NEW, "the limit is per member"
    listed = store.follows.of(ALICE)
    assert [(f.kind, f.norm, f.value, f.mode, f.guild_id) for f in listed] == [
        (TOPIC, "ai", "AI", INSTANT, GUILD),
        (PROVIDER, "wire desk", "Wire Desk", DIGEST, None),
    ]


def test_following_again_changes_the_mode_without_taking_a_place(store: Store) -> None:
    assert follow(store, ALICE, "ai", limit=1) is Added.NEW
    assert follow(store, ALICE, "ai", mode=DIGEST, limit=1) is Added.MODE_CHANGED, "a re-follow at the limit works"
    assert follow(store, ALICE, "ai", mode=DIGEST, limit=1) is Added.UNCHANGED
    assert [f.mode for f in store.follows.of(ALICE)] == [DIGEST]


def test_concurrent_adds_never_pass_the_limit(store: Store) -> None:
    outcomes: list[Added] = []
    threads = [
        threading.Thread(target=lambda n=n: outcomes.append(follow(store, ALICE, f"t{n}", limit=3))) for n in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(Added.NEW) == 3 and outcomes.count(Added.FULL) == 5
    assert len(store.follows.of(ALICE)) == 3


def test_remove_returns_what_was_unfollowed(store: Store) -> None:
    follow(store, ALICE, "ai")
    removed = store.follows.remove(ALICE, TOPIC, "ai")
    assert removed is not None and removed.value == "AI"
    assert store.follows.remove(ALICE, TOPIC, "ai") is None
    assert store.follows.of(ALICE) == []


def test_settings_default_then_set_and_clear(store: Store) -> None:
    assert store.follows.settings(ALICE) == MemberSettings()
    got = store.follows.set_settings(ALICE, {"daily_cap": 5, "quiet_start": "22:00", "quiet_end": "07:00"})
    assert (got.daily_cap, got.quiet_start, got.quiet_end, got.digest_time) == (5, "22:00", "07:00", None)
    got = store.follows.set_settings(ALICE, {"digest_time": "08:00", "timezone": "Europe/Berlin"})
    assert (got.daily_cap, got.digest_time, got.timezone) == (5, "08:00", "Europe/Berlin"), "others are kept"
    got = store.follows.set_settings(ALICE, {"quiet_start": None, "quiet_end": None})
    assert (got.quiet_start, got.quiet_end, got.daily_cap) == (None, None, 5)


def test_pause_and_resume_by_the_member(store: Store) -> None:
    assert store.follows.resume(ALICE) is False, "nothing to resume"
    store.follows.pause(ALICE)
    settings = store.follows.settings(ALICE)
    assert (settings.paused, settings.paused_reason) == (True, "member")
    assert store.follows.closed_dms_notice(ALICE) is False, "a pause of their own is not news to them"
    assert store.follows.resume(ALICE) is True
    assert store.follows.settings(ALICE).paused is False


def close_dms(store: Store, user: int) -> None:
    """What the DM sender does on Discord's 50007 (bot/store/dm_ledger.py's, not this part's)."""
    store.follows.set_settings(user, {})
    with store.engine.begin() as conn:
        conn.execute(
            update(member_settings)
            .where(member_settings.c.user_id == user)
            .values(paused=True, paused_reason="dms_closed", told_at=None)
        )


def test_closed_dms_are_told_once_even_to_commands_at_the_same_moment(store: Store) -> None:
    assert store.follows.closed_dms_notice(ALICE) is False, "no row: nothing to tell"
    close_dms(store, ALICE)
    told: list[bool] = []
    threads = [threading.Thread(target=lambda: told.append(store.follows.closed_dms_notice(ALICE))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(told) == [False] * 5 + [True]
    assert store.follows.closed_dms_notice(ALICE) is False
    assert store.follows.resume(ALICE) is True, "resume clears a closed-DMs pause"
    assert store.follows.settings(ALICE).paused_reason is None
    close_dms(store, ALICE)
    assert store.follows.closed_dms_notice(ALICE) is True, "closed again later: told again"


def test_forget_deletes_every_row_of_the_member_and_no_other(store: Store) -> None:
    store.apply(
        [parsed_file("a.md", 1, topics=["AI"])], make_planner(lambda s: [7], announce=True, on_unpublish="delete")
    )
    with store.engine.connect() as conn:
        story_id = conn.scalar(select(stories.c.id))
    for user in (ALICE, BOB):
        follow(store, user, "ai")
        store.follows.add(user, WORDS, "quantum leap", "quantum leap", DIGEST, None, max_follows=25)
        store.follows.set_settings(user, {"daily_cap": 3})
        with store.engine.begin() as conn:
            conn.execute(
                dm_deliveries.insert().values(
                    story_id=story_id, user_id=user, state=DmState.SENT, reason="AI", planned_at=1.0
                )
            )
    gone = store.follows.forget(ALICE)
    assert gone == Forgotten(follows=2, settings=1, deliveries=1) and gone.total == 4
    assert [rows(store, t, ALICE) for t in (follows, member_settings, dm_deliveries)] == [0, 0, 0]
    assert [rows(store, t, BOB) for t in (follows, member_settings, dm_deliveries)] == [2, 1, 1]
    assert store.follows.forget(ALICE) == Forgotten(0, 0, 0)


def test_servers_switch_following_and_default_to_the_config(store: Store) -> None:
    assert store.follows.guild_enabled(GUILD, True) is True
    assert store.follows.guild_enabled(GUILD, False) is False
    store.follows.set_guild_enabled(GUILD, False)
    assert store.follows.guild_enabled(GUILD, True) is False
    store.follows.set_guild_enabled(GUILD, True)
    assert store.follows.guild_enabled(GUILD, False) is True, "the admins' choice wins over the default"
