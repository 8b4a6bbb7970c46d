"""The /news result message: a page of stories with first/previous/next/last buttons, a page counter and a menu
that opens one story; an opened story has Back and Share. Only the member who ran the command can use it, and
everything is disabled when the view times out."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.cooldowns import Cooldowns
from bot.render import news_pages
from bot.search.service import SearchPage, SearchService, page_request
from bot.store.errors import StoreError
from cogs._respond import reply, run_or_defer, slow_down, tell

log = logging.getLogger(__name__)

# Under the 15 minutes an interaction token lives, so the timeout can still edit the message.
VIEW_TIMEOUT = 600.0
REFUSAL = "Only the member who ran this /news can use its buttons. Run `/news` yourself to search."
FAILURE = "Sorry, that didn't work. The error has been logged for the bot's operators."
GONE = "That story is no longer published."


def link_buttons(message: dict[str, Any]) -> list[discord.ui.Button[Any]]:
    """The feed message's link buttons ("Read story", related coverage) as discord.py items."""
    return [
        discord.ui.Button(style=discord.ButtonStyle.link, label=b["label"], url=b["url"])
        for row in message.get("components", ())
        for b in row["components"]
    ]


class SharedStory(discord.ui.View):
    """Link buttons only: nothing to dispatch, so nothing is stored or times out."""

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(timeout=None)
        for button in link_buttons(message):
            self.add_item(button)


class ResultsView(discord.ui.View):
    def __init__(
        self,
        service: SearchService,
        page: SearchPage,
        *,
        owner_id: int,
        origin: discord.Interaction,
        public: bool,
        cooldowns: Cooldowns | None = None,
    ) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.service = service
        # The /news command's buckets: a click costs what a command does (None: no limit).
        self.cooldowns = cooldowns
        self.page = page
        self.owner_id = owner_id
        # The command's interaction: its token can edit the message until it expires (15 minutes).
        self.origin = origin
        self.public = public
        self.story_id: int | None = None  # the story opened, whose Share clicks are counted
        self.show_results(page)

    # -- layouts --------------------------------------------------------------------------------------------

    def show_results(self, page: SearchPage) -> None:
        self.page = page
        self.clear_items()
        last = page.pages
        for custom_id, label, target, enabled in (
            ("news:first", "⏮", 1, page.page > 1),
            ("news:prev", "◀", page.page - 1, page.page > 1),
            ("news:page", news_pages.page_label(page), page.page, False),
            ("news:next", "▶", page.page + 1, page.page < last or page.capped),
            ("news:last", "⏭", last, page.page < last),
        ):
            self.add_item(PageButton(target, label=label, custom_id=custom_id, disabled=not enabled))
        if page.hits:
            self.add_item(OpenStoryMenu([news_pages.option(hit) for hit in page.hits]))

    def show_story(self, message: dict[str, Any], shared: bool = False) -> None:
        self.clear_items()
        self.add_item(PageButton(self.page.page, label="Back to results", custom_id="news:back", disabled=False))
        if not self.public:
            self.add_item(ShareButton(message, shared=shared))
        for button in link_buttons(message):
            button.row = 1
            self.add_item(button)

    # -- actions (called by the items below) ----------------------------------------------------------------

    async def go_to(self, interaction: discord.Interaction, page_number: int) -> None:
        request = page_request(self.page, page_number)
        page = await run_or_defer(interaction, self.service.store, self.service.search, request, update=True)
        self.show_results(page)
        await reply(
            interaction,
            update=True,
            content=None,
            embed=discord.Embed.from_dict(news_pages.results_embed(page)),
            view=self,
        )

    async def open_story(self, interaction: discord.Interaction, story_id: int) -> None:
        story = await run_or_defer(interaction, self.service.store, self.service.story, story_id, update=True)
        if story is None:
            await tell(interaction, GONE)
            return
        message = news_pages.story_message(story)
        self.story_id = story_id
        self.show_story(message)
        await reply(interaction, update=True, embed=discord.Embed.from_dict(message["embeds"][0]), view=self)

    async def share(self, interaction: discord.Interaction, message: dict[str, Any]) -> None:
        # A new, public message in the channel: the same embed and links the feed posts.
        await interaction.response.send_message(
            embed=discord.Embed.from_dict(message["embeds"][0]), view=SharedStory(message), ephemeral=False
        )
        self.show_story(message, shared=True)
        if self.story_id is not None and interaction.channel_id is not None:
            # Discord took the message: the community's signal counts a share to that channel (bot/signal/).
            store = self.service.store
            try:
                await store.run_concurrent(store.signals.record_share, self.story_id, interaction.channel_id)
            except StoreError:
                # The share is posted; a count missed (the story just removed, the database busy) is no failure.
                log.warning("Could not count a share of story %s", self.story_id, exc_info=True)
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            log.debug("Could not mark the story as shared", exc_info=True)

    # -- discord.ui.View hooks ------------------------------------------------------------------------------

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return False
        wait = self.cooldowns.take(interaction.user.id) if self.cooldowns is not None else 0.0
        if wait:
            await interaction.response.send_message(slow_down(wait), ephemeral=True)
            return False
        return True

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Select) or (
                isinstance(item, discord.ui.Button) and item.style is not discord.ButtonStyle.link
            ):
                item.disabled = True
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            # Dismissed by the member, or the token expired: nothing left to disable.
            log.debug("Could not disable an expired /news message", exc_info=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /) -> None:
        log.error("A /news button or menu failed (%s)", getattr(item, "custom_id", item), exc_info=error)
        try:
            await tell(interaction, FAILURE)
        except discord.HTTPException:
            log.warning("Could not tell the member about a failed /news action", exc_info=True)


class PageButton(discord.ui.Button[ResultsView]):
    """Shows results page ``target`` (also "Back to results" from an opened story)."""

    def __init__(self, target: int, *, label: str, custom_id: str, disabled: bool) -> None:
        super().__init__(
            label=label, custom_id=custom_id, disabled=disabled, row=0, style=discord.ButtonStyle.secondary
        )
        self.target = target

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.go_to(interaction, self.target)


class OpenStoryMenu(discord.ui.Select[ResultsView]):
    def __init__(self, options: list[dict[str, str]]) -> None:
        super().__init__(
            custom_id="news:open",
            placeholder="Open a story…",
            options=[
                discord.SelectOption(label=o["label"], value=o["value"], description=o.get("description"))
                for o in options
            ],
            row=1,
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.open_story(interaction, int(self.values[0]))


class ShareButton(discord.ui.Button[ResultsView]):
    def __init__(self, message: dict[str, Any], *, shared: bool) -> None:
        super().__init__(
            label="Shared" if shared else "Share",
            custom_id="news:share",
            style=discord.ButtonStyle.primary,
            disabled=shared,
            row=0,
        )
        self.message = message

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.share(interaction, self.message)
