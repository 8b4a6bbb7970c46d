"""Personal news in the status report: the CLI counts the whole deployment, /newsdesk status in a server only the
follows made there (and the DMs and pauses of the members who made them)."""

from __future__ import annotations

import json
from typing import Any

from bot.render.status import render_embed, render_text
from bot.routes.planning import make_planner
from bot.status import guild_status_report, start_of_day, status_report
from bot.store import Store
from bot.store.personal_tables import dm_deliveries, follows, member_settings
from tests.storyfiles import parsed_file

GUILD_A, GUILD_B = 1000, 2000
ANN, BEN, CAT, DEV = 501, 502, 503, 504  # members
NOW = 1_800_000_000.0 + 13 * 3600  # 13:00 UTC
TODAY = start_of_day(NOW)


def follow(user: int, kind: str, norm: str, guild: int | None) -> dict[str, Any]:
    return {
        "user_id": user,
        "kind": kind,
        "norm": norm,
        "value": norm,
        "mode": "instant",
        "guild_id": guild,
        "created_at": NOW - 86400,
    }


def dm(story: int, user: int, state: str, sent_at: float | None = None) -> dict[str, Any]:
    return {
        "story_id": story,
        "user_id": user,
        "state": state,
        "reason": "AI",
        "planned_at": NOW - 7200,
        "sent_at": sent_at,
        "attempts": 0,
        "version": 0,
    }


def settings(user: int, paused: bool, reason: str | None) -> dict[str, Any]:
    return {"user_id": user, "paused": paused, "paused_reason": reason, "created_at": NOW, "updated_at": NOW}


def world(store: Store) -> None:
    """Ann follows from server A (two topics and a provider), Ben from server B (words), Cat from her DMs with
    the bot (a user install: no server), Dev from A and B. DMs: sent today, yesterday, waiting, failed."""
    planner = make_planner(lambda s: [], announce=True, on_unpublish="delete")
    store.apply([parsed_file(f"{n}.md", n, title=f"Story {n}") for n in (1, 2, 3)], planner)
    rows = [
        follow(ANN, "topic", "ai", GUILD_A),
        follow(ANN, "topic", "space", GUILD_A),
        follow(ANN, "provider", "example news", GUILD_A),
        follow(BEN, "words", "climate deal", GUILD_B),
        follow(CAT, "topic", "ai", None),
        follow(DEV, "topic", "ai", GUILD_A),
        follow(DEV, "topic", "chips", GUILD_B),
    ]
    dms = [
        dm(1, ANN, "sent", NOW - 3600),
        dm(2, ANN, "sent", TODAY - 60),  # yesterday, just before midnight UTC
        dm(3, ANN, "post"),
        dm(1, BEN, "sent", NOW - 60),
        dm(2, BEN, "digest"),
        dm(1, CAT, "sent", NOW - 10),
        dm(1, DEV, "failed"),
    ]
    pauses = [settings(ANN, False, None), settings(BEN, True, "dms_closed"), settings(CAT, True, "member")]
    with store.engine.begin() as conn:
        conn.execute(follows.insert(), rows)
        conn.execute(dm_deliveries.insert(), dms)
        conn.execute(member_settings.insert(), pauses)


def test_the_deployment_counts_every_follower_follow_dm_and_pause(store: Store) -> None:
    world(store)
    figures = status_report(store, now=NOW).personal
    assert figures.followers == 4
    assert figures.follows == {"topic": 5, "provider": 1, "words": 1}
    assert (figures.dms_sent, figures.dms_waiting) == (3, 2)
    assert (figures.paused_dms_closed, figures.paused_by_member) == (1, 1)
    text = render_text(status_report(store, now=NOW), now=NOW)
    assert "4 followers (follows: 5 topics, 1 provider, 1 words)" in text
    assert "DMs: 3 sent today (UTC), 2 waiting" in text
    assert "Paused: 2 (1 with DMs closed, 1 by themselves)" in text


def test_a_server_sees_only_the_follows_made_there(store: Store) -> None:
    world(store)
    a = guild_status_report(store, GUILD_A, {}, now=NOW).personal
    # Ann and Dev followed from A; Dev's follow from B and Cat's from her DMs are not A's.
    assert (a.followers, a.follows) == (2, {"topic": 3, "provider": 1, "words": 0})
    assert (a.dms_sent, a.dms_waiting, a.paused_dms_closed, a.paused_by_member) == (1, 1, 0, 0)

    b = guild_status_report(store, GUILD_B, {}, now=NOW).personal
    assert (b.followers, b.follows) == (2, {"topic": 1, "provider": 0, "words": 1})
    assert (b.dms_sent, b.dms_waiting, b.paused_dms_closed, b.paused_by_member) == (1, 1, 1, 0)

    shown = render_embed(guild_status_report(store, GUILD_B, {}, now=NOW), now=NOW)
    field = next(f for f in shown["fields"] if f["name"] == "Personal news")
    assert "2 followers (follows: 1 topic, 0 providers, 1 words)" in field["value"]
    assert "Paused: 1 (1 with DMs closed, 0 by themselves)" in field["value"]
    for member in (ANN, BEN, CAT, DEV):
        assert str(member) not in json.dumps(shown), "counts only, never who"


def test_a_server_with_no_followers_and_an_empty_deployment_say_so(store: Store) -> None:
    assert "No member follows anything yet" in render_text(status_report(store, now=NOW), now=NOW)
    world(store)
    elsewhere = guild_status_report(store, 3000, {}, now=NOW)
    assert elsewhere.personal.empty
    field = next(f for f in render_embed(elsewhere, now=NOW)["fields"] if f["name"] == "Personal news")
    assert field["value"] == "• No member follows anything yet"
