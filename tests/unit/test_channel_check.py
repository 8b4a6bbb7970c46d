"""The channel verdict from Discord's data, and the gate that holds a bad channel's deliveries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bot.pipeline import Pipeline
from bot.send.gate import (
    ADMINISTRATOR,
    EMBED_LINKS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    ChannelGate,
    ChannelVerdict,
    judge,
    missing_channel,
)
from bot.store import Store
from tests.storyfiles import write_story
from tests.unit.test_pipeline import AI_ONLY, NEWS, RecordingSink, make_config

GUILD, BOT, BOT_ROLE, OTHER_ROLE = "10", "20", "30", "40"
POSTING = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS


def channel(*overwrites: dict[str, Any], kind: int = 0) -> dict[str, Any]:
    return {"id": "1", "type": kind, "guild_id": GUILD, "permission_overwrites": list(overwrites)}


def roles(everyone: int = POSTING, bot_role: int = 0) -> list[dict[str, Any]]:
    return [{"id": GUILD, "permissions": str(everyone)}, {"id": BOT_ROLE, "permissions": str(bot_role)}]


MEMBER = {"user": {"id": BOT}, "roles": [BOT_ROLE]}


def overwrite(target: str, kind: int, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    return {"id": target, "type": kind, "allow": str(allow), "deny": str(deny)}


def test_everyone_permissions_are_enough() -> None:
    assert judge(channel(), roles(), MEMBER).ok


def test_missing_permissions_are_named() -> None:
    verdict = judge(channel(), roles(everyone=VIEW_CHANNEL), MEMBER)
    assert not verdict.ok and "Send Messages, Embed Links" in verdict.problem


def test_a_role_grants_what_everyone_lacks() -> None:
    assert judge(channel(), roles(everyone=VIEW_CHANNEL, bot_role=SEND_MESSAGES | EMBED_LINKS), MEMBER).ok


def test_channel_overwrites_deny_then_role_and_member_overwrites_allow() -> None:
    hidden = channel(overwrite(GUILD, 0, deny=VIEW_CHANNEL))
    verdict = judge(hidden, roles(), MEMBER)
    assert not verdict.ok and "View Channel" in verdict.problem
    assert judge(channel(overwrite(GUILD, 0, deny=POSTING), overwrite(BOT_ROLE, 0, allow=POSTING)), roles(), MEMBER).ok
    # A role overwrite's deny loses to the member's own allow.
    member_allowed = channel(overwrite(BOT_ROLE, 0, deny=SEND_MESSAGES), overwrite(BOT, 1, allow=SEND_MESSAGES))
    assert judge(member_allowed, roles(), MEMBER).ok
    # An overwrite for a role the bot doesn't have changes nothing.
    assert judge(channel(overwrite(OTHER_ROLE, 0, deny=POSTING)), roles(), MEMBER).ok


def test_administrator_overrides_every_overwrite() -> None:
    locked = channel(overwrite(GUILD, 0, deny=POSTING))
    assert judge(locked, roles(everyone=0, bot_role=ADMINISTRATOR), MEMBER).ok


def test_voice_channels_and_categories_take_no_story_posts() -> None:
    for kind in (2, 4):
        verdict = judge(channel(kind=kind), roles(), MEMBER)
        assert not verdict.ok and "not a text, announcement or forum channel" in verdict.problem


def test_announcement_forum_and_media_channels_take_stories() -> None:
    # Issue #11: forum and media channels get each story as a post (bot/send/kinds/payloads.py).
    for kind in (5, 15, 16):
        assert judge(channel(kind=kind), roles(), MEMBER).ok


def test_missing_channel_wording() -> None:
    assert "does not exist" in missing_channel(404).problem
    assert "not visible" in missing_channel(403).problem


class World:
    """Which channels are good right now; the gate's probe reads it."""

    def __init__(self, bad: dict[int, str]) -> None:
        self.bad = bad
        self.probes: list[int] = []
        self.blocked: list[tuple[int, str, str]] = []
        self.changes: list[dict[int, str]] = []

    async def probe(self, channel_id: int) -> ChannelVerdict:
        self.probes.append(channel_id)
        if channel_id == 99:
            raise RuntimeError("Discord is down")
        problem = self.bad.get(channel_id)
        return ChannelVerdict(False, problem) if problem else ChannelVerdict.good()

    async def on_blocked(self, channel_id: int, label: str, problem: str) -> None:
        self.blocked.append((channel_id, label, problem))

    async def on_change(self, waiting: dict[int, str]) -> None:
        self.changes.append(waiting)

    def gate(self, recheck: float = 3600) -> ChannelGate:
        return ChannelGate(
            self.probe,
            recheck_seconds=recheck,
            label=lambda ch: f"channels[{ch}].id",
            on_blocked=self.on_blocked,
            on_change=self.on_change,
        )


async def test_a_good_channel_opens_after_one_check() -> None:
    world = World({})
    gate = world.gate()
    await gate.wait_open(1)
    await gate.wait_open(1)
    assert world.probes == [1] and gate.waiting == {}


async def test_a_bad_channel_waits_is_reported_once_and_opens_when_fixed() -> None:
    world = World({2: "does not exist"})
    gate = world.gate()
    gate.watch([1, 2])
    waiter = asyncio.create_task(gate.wait_open(2))
    await gate.wait_open(1)
    await asyncio.sleep(0)
    assert not waiter.done()
    assert gate.waiting == {2: "does not exist"}
    await gate.recheck_all()  # still bad: no second report
    assert world.blocked == [(2, "channels[2].id", "does not exist")]
    del world.bad[2]
    await gate.recheck_all()
    await asyncio.wait_for(waiter, 1)
    assert gate.waiting == {} and world.changes == [{2: "does not exist"}, {}]
    await gate.stop()


async def test_the_recheck_loop_opens_a_fixed_channel() -> None:
    world = World({2: "does not exist"})
    gate = world.gate(recheck=0.01)
    gate.start()
    waiter = asyncio.create_task(gate.wait_open(2))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    del world.bad[2]
    await asyncio.wait_for(waiter, 5)
    await gate.stop()


async def test_a_check_that_cannot_complete_lets_deliveries_through() -> None:
    world = World({})
    gate = world.gate()
    await asyncio.wait_for(gate.wait_open(99), 1)
    assert gate.waiting == {} and world.blocked == []


async def test_deliveries_to_a_blocked_channel_stay_pending_and_go_out_once_it_is_fixed(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    write_story(folder, "a.md", 1, title="AI story", topics=["ai"], quality=90)
    config = make_config(folder, tmp_path / "newsdesk.db")
    store = Store.open(config.storage_url)
    pipeline = Pipeline(config, store)
    sink, world = RecordingSink(), World({AI_ONLY: "does not exist"})
    gate = world.gate()
    try:
        await pipeline.start(sink, watch=False, gate=gate)
        # The sink sees the post before the ledger settles it: wait for both, then only the blocked row is left.
        deadline = time.monotonic() + 30
        while (sink.titles(NEWS) != ["AI story"] or store.counts()["pending"] != 1) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert sink.titles(NEWS) == ["AI story"] and sink.titles(AI_ONLY) == []
        counts = store.counts()
        assert counts["pending"] == 1 and not [c for c in sink.calls if c[1] == AI_ONLY]
        del world.bad[AI_ONLY]
        await gate.recheck_all()
        await pipeline.drain()
        assert sink.titles(AI_ONLY) == ["AI story"] and store.counts()["pending"] == 0
    finally:
        await pipeline.stop()
        await gate.stop()
        store.close()


async def test_recheck_on_request_blocks_a_channel_that_went_bad_and_checks_a_new_one() -> None:
    world = World({})
    gate = world.gate()
    await gate.wait_open(1)
    world.bad[1] = "lacks the bot permission Send Messages"
    gate.recheck(1)
    gate.recheck(5)  # never seen: its first check
    while world.probes.count(1) < 2 or 5 not in world.probes:  # noqa: ASYNC110  the probes run in gate's tasks
        await asyncio.sleep(0.01)
    await gate.wait_open(5)
    assert gate.waiting == {1: "lacks the bot permission Send Messages"}
    assert world.blocked == [(1, "channels[1].id", "lacks the bot permission Send Messages")]
    await gate.stop()
