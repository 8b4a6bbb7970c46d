"""The Follow button (one topic) and menu (several) on every posted story: ``bot/render/embeds.py`` puts them on
the message, these handle the clicks. Dynamic items match the custom_id itself, so a click on a story posted
months ago, before any number of restarts, still works: nothing is registered per message."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.store.personal_tables import FollowKind, FollowMode
from cogs.follow._desk import BUTTON_TOPIC_CUT, FollowDesk, answer

BUTTON_PREFIX = "newsdesk:follow:t:"
SELECT_ID = "newsdesk:follow:select"


def desk_of(interaction: discord.Interaction) -> FollowDesk:
    cog = interaction.client.get_cog("FollowGroup")  # type: ignore[attr-defined]
    desk = getattr(cog, "desk", None)
    assert isinstance(desk, FollowDesk), "the follow extension is loaded"
    return desk


async def follow_from_story(interaction: discord.Interaction, topic: str) -> None:
    desk = desk_of(interaction)
    notice = await desk.start(interaction)
    if notice is None:
        return
    text = await desk.follow(interaction, FollowKind.TOPIC, topic, FollowMode.INSTANT, "topic")
    await answer(interaction, notice, text)


class FollowTopicButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=re.escape(BUTTON_PREFIX) + r"(?P<topic>.+)"
):
    def __init__(self, topic: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Follow {topic}"[:80],
                custom_id=BUTTON_PREFIX + topic[:BUTTON_TOPIC_CUT],
                style=discord.ButtonStyle.secondary,
            )
        )
        self.topic = topic

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FollowTopicButton:
        topic = match["topic"]
        if len(topic) >= BUTTON_TOPIC_CUT:
            topic = await desk_of(interaction).full_topic(topic)
        return cls(topic)

    async def callback(self, interaction: discord.Interaction) -> None:
        await follow_from_story(interaction, self.topic)


class FollowTopicSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=re.escape(SELECT_ID)):
    def __init__(self) -> None:
        super().__init__(discord.ui.Select(custom_id=SELECT_ID, placeholder="Follow a topic…", options=[]))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FollowTopicSelect:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        values = self.item.values
        if not values:
            await answer(interaction, "", "`topic`: choose a topic to follow.")
            return
        await follow_from_story(interaction, values[0])
