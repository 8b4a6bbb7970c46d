"""/feed: routes, test posts, backfills and topic pings, managed from Discord by admins."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.options import OptionError, parse_duration, parse_route_topics
from bot.render.feed_replies import describe_route, explain_embed, held_until, routes_embed
from bot.render.text import clean_line, truncate
from bot.routes.route_rules import Style, parse_rules
from bot.routes.routing import wanted_by
from bot.store.newsroom import StoredRoute
from bot.timezones import suggest_timezones
from cogs._checks import AdminCog, admin_may_complete, can_manage_roles, topic_role_problem
from cogs._respond import defer, tell

if TYPE_CHECKING:
    from bot.app import Feed
    from bot.config import ChannelRoute
    from bot.newsbot import NewsBot
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

ROLE_ADVICE = (
    "A topic role must grant no permissions, not belong to a bot or an integration, and sit below my highest "
    "role and yours (Server Settings → Roles)."
)


class FeedGroup(AdminCog, group_name="feed", group_description="Choose which stories go to which channels"):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @property
    def feed(self) -> Feed:
        if self.bot.feed is None:
            raise app_commands.CheckFailure("The feed is not running in this process.")
        return self.bot.feed

    @property
    def pipeline(self) -> Pipeline:
        return self.feed.pipeline

    def _routes_for(self, channel_id: int) -> list[ChannelRoute]:
        return [r for r in self.pipeline.routes.routes if r.channel_id == channel_id]

    def _routes_in(self, guild_id: int | None) -> list[ChannelRoute]:
        """Only this server's routes: a config route's server is its channel's (servers are walled off)."""
        return [r for r in self.pipeline.routes.routes if self.bot.guild_of(r.channel_id) == guild_id]

    def _until(self) -> float | None:
        """Under embargo, stories dated after now are not out yet: never offered for posting on request."""
        return time.time() if self.bot.config.articles.embargo else None

    async def _routes_or_explain(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> list[ChannelRoute]:
        """The channel's routes; without any, the admin is told how to add one and the list is empty."""
        routes = self._routes_for(channel.id)
        if not routes:
            await tell(interaction, f"There is no route to <#{channel.id}>: add one with `/feed add` first.")
        return routes

    @app_commands.command(name="add", description="Post stories with these topics to a channel")
    @app_commands.describe(
        channel="Where to post",
        topics="Comma-separated topics, e.g. AI, Climate (empty or * = every topic)",
        min_quality="Only stories with at least this quality (0-100)",
        include_words="Only stories with one of these words or phrases in title or excerpt, e.g. chips, GPU",
        exclude_words="Never stories with one of these words or phrases, e.g. crypto, nft",
        providers="Only these providers (names or domains), comma-separated",
        exclude_providers="Never these providers (names or domains), comma-separated",
        types="Only these story types, e.g. article, video",
        categories="Only these story categories, e.g. news",
        max_age="Skip stories published longer ago than this: 90m, 48h, 7d",
        daily_cap="At most this many posts a day (1-1000); the rest are skipped and counted in status",
        timezone="The time zone whose day daily_cap counts (default: the bot's)",
        ping_min_heat="Mention roles only for stories at least this hot (0-100); others post silently",
        style="How posts look",
        color="Embed colour as #rrggbb",
        on_unpublish="When a story is unpublished or stops matching: delete its message or keep it",
    )
    @app_commands.choices(
        style=[app_commands.Choice(name=s.value, value=s.value) for s in Style],
        on_unpublish=[app_commands.Choice(name=v, value=v) for v in ("delete", "keep")],
    )
    async def add(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        topics: str = "*",
        min_quality: app_commands.Range[int, 0, 100] = 0,
        include_words: str | None = None,
        exclude_words: str | None = None,
        providers: str | None = None,
        exclude_providers: str | None = None,
        types: str | None = None,
        categories: str | None = None,
        max_age: str | None = None,
        daily_cap: app_commands.Range[int, 1, 1000] | None = None,
        timezone: str | None = None,
        ping_min_heat: app_commands.Range[int, 0, 100] | None = None,
        style: str | None = None,
        color: str | None = None,
        on_unpublish: str | None = None,
    ) -> None:
        await defer(interaction)
        given = {
            "include_words": include_words,
            "exclude_words": exclude_words,
            "providers": providers,
            "exclude_providers": exclude_providers,
            "types": types,
            "categories": categories,
            "max_age": max_age,
            "daily_cap": daily_cap,
            "timezone": timezone,
            "ping_min_heat": ping_min_heat,
            "style": style,
            "color": color,
            "on_unpublish": on_unpublish,
        }
        raw = {name: value for name, value in given.items() if value is not None}
        try:
            parsed = parse_route_topics(topics)
            parse_rules(raw)  # validated now, with a message naming the option; stored as given
        except OptionError as exc:
            await tell(interaction, str(exc))
            return
        assert interaction.guild_id is not None  # AdminCog is guild-only
        route = StoredRoute(channel.id, interaction.guild_id, parsed, min_quality, raw)
        await self.bot.store.run_concurrent(self.bot.store.newsroom.upsert_route, route, interaction.user.id)
        await self.pipeline.reload_routes()
        # A new or changed route gets the start-up check too: a channel the bot can't use is reported now.
        self.feed.gate.recheck(channel.id)
        log.info("%s added a route to channel %s: %s %s", interaction.user.id, channel.id, parsed or "*", raw)
        stored = next(r for r in self._routes_for(channel.id) if r.source == "discord")
        note = ""
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).send_messages:
            note = "\n⚠️ I can't send messages there yet: give me Send Messages and Embed Links in that channel."
        await tell(interaction, truncate(f"New stories will be posted: {describe_route(stored)}{note}", 2000))

    @add.autocomplete("timezone")
    async def _timezones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not admin_may_complete(interaction):
            return []
        return [app_commands.Choice(name=n, value=n) for n in suggest_timezones(current)]

    @app_commands.command(name="explain", description="Where a story goes, and which rule stopped it elsewhere")
    @app_commands.describe(story="A story title (start typing)")
    async def explain(self, interaction: discord.Interaction, story: str) -> None:
        found = await self.bot.store.run_concurrent(self.bot.store.newsroom.find_story, story)
        if found is None:
            await tell(interaction, "`story`: no story with that title; pick one from the list.")
            return
        table = self.pipeline.routes
        routes = self._routes_in(interaction.guild_id)
        # The archive rule: a route posts the story on its own only if it went live after the route began.
        live_since = await self.bot.store.run_concurrent(self.bot.store.live_since, found[1].key)
        context = table.context(self.bot.store.ledger.posts_since, live_since)
        verdicts = await self.bot.store.run_concurrent(table.verdicts, found[1], context, routes)
        held = held_until(found[1], embargo=self.bot.config.articles.embargo, now=time.time())
        embed = discord.Embed.from_dict(explain_embed(found[1].title, verdicts, held))
        await tell(interaction, embed=embed)

    @explain.autocomplete("story")
    async def _titles(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # Admins only: the list includes unpublished and held (embargoed) stories, which explain covers too.
        if not admin_may_complete(interaction):
            return []
        titles = await self.bot.store.run_concurrent(self.bot.store.newsroom.story_titles, current)
        return [app_commands.Choice(name=truncate(clean_line(t), 100) or "(untitled)", value=str(i)) for i, t in titles]

    @app_commands.command(name="remove", description="Stop posting to a channel")
    @app_commands.describe(channel="The channel whose route to remove")
    async def remove(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await defer(interaction)
        removed = await self.bot.store.run_concurrent(self.bot.store.newsroom.remove_route, channel.id)
        await self.pipeline.reload_routes()
        if removed:
            message = f"Stories are no longer posted to <#{channel.id}>."
        elif self._routes_for(channel.id):
            message = (
                f"The route to <#{channel.id}> comes from the config file (config/newsdesk.yaml); "
                "remove it there. Routes from the file can't be removed from Discord."
            )
        else:
            message = f"There is no route to <#{channel.id}>."
        await tell(interaction, message)

    @app_commands.command(name="list", description="Show every route and topic ping")
    async def list_routes(self, interaction: discord.Interaction) -> None:
        routes = self._routes_in(interaction.guild_id)
        pings = self.pipeline.routes.ping_topics(interaction.guild_id or 0)
        embed = discord.Embed.from_dict(routes_embed(routes, pings))
        await tell(interaction, embed=embed)

    @app_commands.command(name="test", description="Post the latest matching story to a channel now")
    @app_commands.describe(channel="A channel that has a route")
    async def test(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await defer(interaction)
        routes = await self._routes_or_explain(interaction, channel)
        if not routes:
            return
        found = await self.bot.store.run_concurrent(
            self.bot.store.newsroom.candidates, channel.id, wanted_by(routes), since=None, limit=20, until=self._until()
        )
        fresh = [c for c in found if not c.delivered]
        if not found:
            message = "No published story matches that route yet." + await self._why_not(routes)
        elif not fresh:
            message = f"<#{channel.id}> already has the latest matching story: **{clean_line(found[0].story.title)}**"
        else:
            await self.pipeline.post_to_channel(channel.id, [fresh[0].story_id])
            message = f"Posting **{clean_line(fresh[0].story.title)}** to <#{channel.id}>."
            live_since = await self.bot.store.run_concurrent(self.bot.store.live_since, fresh[0].story.key)
            table = self.pipeline.routes
            verdicts = table.verdicts(fresh[0].story, table.context(None, live_since), routes)
            if any(v.rule == "archive" for _route, v in verdicts):
                message += " It is from the route's archive: a test posts it on request, the route never would."
        await tell(interaction, truncate(message, 2000))

    async def _why_not(self, routes: list[ChannelRoute]) -> str:
        """Why the newest published story is not taken: the same explanation as ``/feed explain``."""
        latest = await self.bot.store.run_concurrent(self.bot.store.latest_published, 1)
        if not latest:
            return ""
        table = self.pipeline.routes
        reasons = [v.reason for _r, v in table.verdicts(latest[0][1], table.context(), routes) if v.reason]
        title = clean_line(latest[0][1].title)
        return f"\nThe newest story, **{title}**, stops at: {reasons[0]}." if reasons else ""

    @app_commands.command(name="backfill", description="Post earlier stories to a channel (never twice)")
    @app_commands.describe(
        channel="A channel that has a route",
        since="How far back: 90m, 24h, 7d, 2w",
        limit="At most this many stories (1-50)",
        dry_run="Only list what would be posted",
    )
    async def backfill(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        since: str = "24h",
        limit: app_commands.Range[int, 1, 50] = 10,
        dry_run: bool = False,
    ) -> None:
        await defer(interaction)
        try:
            window = parse_duration(since)
        except OptionError as exc:
            await tell(interaction, str(exc))
            return
        routes = await self._routes_or_explain(interaction, channel)
        if not routes:
            return
        found = await self.bot.store.run_concurrent(
            self.bot.store.newsroom.candidates,
            channel.id,
            wanted_by(routes),
            since=time.time() - window,
            limit=limit * 5,
            until=self._until(),
        )
        chosen = [c for c in found if not c.delivered][:limit]
        titles = "\n".join(f"• {clean_line(c.story.title)}" for c in chosen)
        if not chosen:
            message = f"Nothing to backfill: <#{channel.id}> already has every matching story from the last {since}."
        elif dry_run:
            message = f"Would post {len(chosen)} stories to <#{channel.id}>:\n{titles}"
        else:
            # Oldest first, so the channel reads in order.
            await self.pipeline.post_to_channel(channel.id, [c.story_id for c in reversed(chosen)])
            message = f"Posting {len(chosen)} stories to <#{channel.id}>:\n{titles}"
        await tell(interaction, truncate(message, 2000))

    @app_commands.command(name="ping", description="Mention a role whenever a story with this topic is posted")
    @app_commands.describe(topic="A topic, e.g. AI", role="The role to mention (members can /subscribe to it)")
    async def ping(self, interaction: discord.Interaction, topic: str, role: discord.Role) -> None:
        await defer(interaction)
        name = " ".join(topic.split())
        if not name or len(name) > 100:
            await tell(interaction, "`topic`: give a topic name. Example: `AI`")
            return
        if role.is_default():
            await tell(interaction, "`role`: @everyone can't be a topic role.")
            return
        # Checked here, not in the group's default permissions: members get this role from the bot on request.
        if not can_manage_roles(interaction):
            await tell(
                interaction,
                "You need the **Manage Roles** permission to bind a role: members get it from me with `/subscribe`.",
            )
            return
        problem = topic_role_problem(role, interaction.user)
        if problem is not None:
            log.info("%s tried to bind role %s to %r: it %s", interaction.user.id, role.id, name, problem)
            await tell(
                interaction,
                f"`role`: **{clean_line(role.name)}** {problem}, so it can't be handed out with `/subscribe`. "
                + ROLE_ADVICE,
            )
            return
        assert interaction.guild_id is not None
        await self.bot.store.run_concurrent(self.bot.store.newsroom.bind_topic, interaction.guild_id, name, role.id)
        await self.pipeline.reload_routes()
        await tell(
            interaction,
            f"Stories about **{clean_line(name)}** will mention <@&{role.id}>. "
            f"Members can join with `/subscribe topic:{clean_line(name)}`.",
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="unping", description="Stop mentioning a role for a topic")
    @app_commands.describe(topic="The topic whose role ping to remove")
    async def unping(self, interaction: discord.Interaction, topic: str) -> None:
        await defer(interaction)
        assert interaction.guild_id is not None
        removed = await self.bot.store.run_concurrent(self.bot.store.newsroom.unbind_topic, interaction.guild_id, topic)
        await self.pipeline.reload_routes()
        message = f"**{clean_line(topic)}** no longer pings a role." if removed else "That topic has no role ping."
        await tell(interaction, message)
