"""The channel check's one GET /channels/{id} also tells which guild a channel is in: the gate hands it on."""

from __future__ import annotations

from bot.send.gate import ChannelGate, ChannelVerdict


async def test_the_gate_reports_each_checked_channels_guild_and_settle_waits_for_it() -> None:
    located: list[tuple[int, int]] = []

    async def probe(channel_id: int) -> ChannelVerdict:
        if channel_id == 3:
            return ChannelVerdict(False, "is gone")  # no guild in the answer: nothing to report
        return ChannelVerdict(channel_id != 2, "lacks Send Messages", guild_id=channel_id * 100)

    async def on_guild(channel_id: int, guild_id: int) -> None:
        located.append((channel_id, guild_id))

    gate = ChannelGate(probe, recheck_seconds=60, label=str, on_guild=on_guild)
    await gate.settle([1, 2, 3])
    assert sorted(located) == [(1, 100), (2, 200)], "a blocked channel's guild is known all the same"
    assert set(gate.waiting) == {2, 3}
    await gate.stop()
