"""The /following message: the member's follows with an Unfollow button each (as many as Discord's 25 components
allow, beside Pause/Resume), usable only by that member, disabled when it times out."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.personal.follows import describe
from bot.store.follows import Follow
from cogs._respond import tell

if TYPE_CHECKING:
    from cogs.follow._desk import FollowDesk

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0  # under the 15 minutes the command's token lives, so the timeout can still edit the message
MAX_BUTTONS = 24  # 5 rows of 5 components, one of them Pause/Resume
REFUSAL = "Only the member who ran this /following can use its buttons. Run `/following` yourself."
FAILURE = "Sorry, that didn't work. The error has been logged for the bot's operators."


def listing(follows: list[Follow], limit: int, paused: bool) -> str:
    """The text of the /following message."""
    if not follows:
        head = "You follow nothing yet: /follow topic, /follow provider or /follow words."
    else:
        lines = [f"- {describe(f.kind, f.value)} ({f.mode.value})" for f in follows]
        head = "\n".join([f"You follow {len(follows)} of {limit}:", *lines])
    if len(follows) > MAX_BUTTONS:
        more = len(follows) - MAX_BUTTONS
        head += f"\nThe buttons show the first {MAX_BUTTONS}; and {more} more, /unfollow them."
    if paused:
        head += "\nYour follows are paused: nothing is sent to you until you press Resume."
    return head


class FollowingView(discord.ui.View):
    def __init__(
        self,
        desk: FollowDesk,
        *,
        owner_id: int,
        origin: discord.Interaction,
        follows: list[Follow],
        paused: bool,
    ) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.desk = desk
        self.owner_id = owner_id
        self.origin = origin  # the command's interaction: its token edits the message on timeout
        self.follows = follows
        self.paused = paused
        self.layout()

    def layout(self) -> None:
        self.clear_items()
        for index, follow in enumerate(self.follows[:MAX_BUTTONS]):
            self.add_item(UnfollowButton(index, follow))
        self.add_item(PauseButton(self.paused))

    async def refresh(self, interaction: discord.Interaction) -> None:
        store = self.desk.store
        self.follows = await store.run_concurrent(store.follows.of, self.owner_id)
        self.paused = (await store.run_concurrent(store.follows.settings, self.owner_id)).paused
        self.layout()
        text = listing(self.follows, self.desk.personal.max_follows_per_member, self.paused)
        await interaction.edit_original_response(content=text, view=self)

    async def unfollow(self, interaction: discord.Interaction, follow: Follow) -> None:
        await interaction.response.defer()
        store = self.desk.store
        await store.run_concurrent(store.follows.remove, self.owner_id, follow.kind, follow.norm)
        await self.refresh(interaction)

    async def toggle_pause(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        follows = self.desk.store.follows
        if self.paused:
            await self.desk.store.run_concurrent(follows.resume, self.owner_id)
        else:
            await self.desk.store.run_concurrent(follows.pause, self.owner_id)
        await self.refresh(interaction)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return False
        wait = self.desk.cooldowns.take(interaction.user.id)
        if wait:
            await interaction.response.send_message("Slow down: try again in a moment.", ephemeral=True)
            return False
        return True

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            log.debug("Could not disable an expired /following message", exc_info=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /) -> None:
        log.error("A /following button failed (%s)", getattr(item, "custom_id", item), exc_info=error)
        try:
            await tell(interaction, FAILURE)
        except discord.HTTPException:
            log.warning("Could not tell the member about a failed /following button", exc_info=True)


class UnfollowButton(discord.ui.Button[FollowingView]):
    def __init__(self, index: int, follow: Follow) -> None:
        label = f"Unfollow {describe(follow.kind, follow.value)}"
        super().__init__(
            label=label if len(label) <= 80 else label[:79] + "…",
            custom_id=f"following:unfollow:{index}",
            style=discord.ButtonStyle.secondary,
        )
        self.follow = follow

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.unfollow(interaction, self.follow)


class PauseButton(discord.ui.Button[FollowingView]):
    def __init__(self, paused: bool) -> None:
        super().__init__(
            label="Resume" if paused else "Pause",
            custom_id="following:resume" if paused else "following:pause",
            style=discord.ButtonStyle.primary if paused else discord.ButtonStyle.danger,
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.toggle_pause(interaction)
