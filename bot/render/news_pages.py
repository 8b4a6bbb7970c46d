"""What /news sends (result pages, select options, autocomplete choices), as plain JSON-ready dicts and strings.

No discord import, so tests read exactly what is sent; the ``cogs.news`` package sends it.

Everything a story or a member typed passes ``clean_line`` (controls removed, mentions defused, as the feed
does) and, where Discord renders markdown, is escaped so a title cannot format or link the listing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.render.embeds import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    build_story_message,
    is_valid_url,
)
from bot.render.text import clean_line, discord_timestamp, escape_link_url, escape_markdown, truncate
from bot.search.service import Hit, SearchPage, SearchRequest, page_offset
from bot.search.sorting import Sort
from bot.stories.story import Story

if TYPE_CHECKING:
    from bot.signal.ranking import Engagement

EMBED_COLOR = 0x2B6CB0
CHOICE_LIMIT = 100  # an autocomplete choice's name and value
OPTION_LIMIT = 100  # a select option's label and description
LINE_TITLE = 150
LINE_PROVIDER = 48
LINE_TOPICS = 100
# A longer URL would crowd the other results out of the 4096-character description; the select still opens it.
LINK_LIMIT = 300
PART_LIMIT = 80
SORT_TITLES = {Sort.DISCUSSED: "most discussed first", Sort.RELEVANT: "most relevant first"}


def describe(request: SearchRequest) -> str:
    """What was asked, for titles and messages: "topic AI, “robots”, provider X, last 7 days"."""
    parts = []
    if request.topic:
        parts.append(f"topic {_part(request.topic)}")
    if request.query:
        parts.append(f"“{_part(request.query)}”")
    if request.provider:
        parts.append(f"provider {_part(request.provider)}")
    if request.days:
        parts.append("the last day" if request.days == 1 else f"the last {request.days} days")
    return ", ".join(parts) or "latest stories"


def _titled(request: SearchRequest) -> str:
    order = SORT_TITLES.get(request.sort)
    return f"{describe(request)} · {order}" if order else describe(request)


def _part(text: str) -> str:
    return truncate(clean_line(text), PART_LIMIT)


def relative_time(moment: datetime | None) -> str:
    """Discord's own relative timestamp ("3 hours ago"), rendered in each reader's locale and time zone."""
    if moment is None:
        return "undated"
    return discord_timestamp(moment, "R")


def counts_text(counts: Engagement) -> str:
    """The community's counts in brief: "💬 12 · 👍 30" (replies, reactions; shares only when there are any)."""
    parts = [f"💬 {max(0, counts.replies)}", f"👍 {max(0, counts.reactions)}"]
    if counts.shares > 0:
        parts.append(f"↗ {counts.shares}")
    return " · ".join(parts)


def result_line(number: int, story: Story, *, link: bool = True, counts: Engagement | None = None) -> str:
    title = escape_markdown(truncate(clean_line(story.title), LINE_TITLE), strict=True) or "(untitled)"
    url = escape_link_url(story.web_url)
    linked = link and is_valid_url(story.web_url) and len(url) <= LINK_LIMIT
    head = f"**{number}.** [{title}]({url})" if linked else f"**{number}.** {title}"
    meta = []
    if story.provider and story.provider.name:
        meta.append(escape_markdown(truncate(clean_line(story.provider.name), LINE_PROVIDER), strict=True))
    meta.append(relative_time(story.published_at))
    topics = ", ".join(t for t in (clean_line(t) for t in story.topics) if t)
    if topics:
        meta.append(escape_markdown(truncate(topics, LINE_TOPICS), strict=True))
    if counts is not None:
        meta.append(counts_text(counts))
    return f"{head}\n{' · '.join(meta)}"


def page_label(page: SearchPage) -> str:
    return f"{page.page}/{page.pages}{'+' if page.capped else ''}"


def footer(page: SearchPage) -> str:
    more = "+" if page.capped else ""
    text = f"Page {page.page} of {page.pages}{more} · {page.total}{more} {'story' if page.total == 1 else 'stories'}"
    if page.window:
        text += f" · best matches among the {page.window} newest; add words to narrow it down"
    return text


def results_embed(page: SearchPage) -> dict[str, Any]:
    lines: list[str] = []
    used = 0
    first = page_offset(page.page, page.request.limit) + 1
    for number, hit in enumerate(page.hits, start=first):
        # Whole lines only; a line that does not fit drops its link, and if that is not enough, the rest wait
        # in the select menu.
        counts = page.counts.get(hit.id) if page.request.sort is Sort.DISCUSSED else None
        line = result_line(number, hit.story, counts=counts)
        if used + len(line) + 2 > DESCRIPTION_LIMIT:
            line = result_line(number, hit.story, link=False, counts=counts)
            if used + len(line) + 2 > DESCRIPTION_LIMIT:
                break
        lines.append(line)
        used += len(line) + 2
    return {
        "title": truncate(f"News: {_titled(page.request)}", TITLE_LIMIT),
        "description": "\n\n".join(lines) or "The stories on this page are no longer published.",
        "color": EMBED_COLOR,
        "footer": {"text": footer(page)},
    }


def nothing_found(page: SearchPage) -> str:
    text = f"No published stories match {escape_markdown(describe(page.request), strict=True)}."
    if page.suggestions:
        text += (
            " Closest topics: "
            + ", ".join(f"**{escape_markdown(clean_line(t), strict=True)}**" for t in page.suggestions)
            + "."
        )
    return truncate(text, CONTENT_LIMIT)


def option(hit: Hit) -> dict[str, str]:
    """A select-menu option that opens one story of the page."""
    story = hit.story
    when = story.published_at.strftime("%d %b %Y") if story.published_at else "undated"
    provider = clean_line(story.provider.name) if story.provider else ""
    return {
        "label": truncate(clean_line(story.title), OPTION_LIMIT) or "(untitled)",
        "description": truncate(" · ".join(p for p in (provider, when) if p), OPTION_LIMIT),
        "value": str(hit.id),
    }


def choice(name: str, count: int) -> tuple[str, str] | None:
    """(label, value) of an autocomplete choice such as "AI (124)"; None for a name too long to be a value."""
    if not name or len(name) > CHOICE_LIMIT:
        return None
    suffix = f" ({count})"
    return truncate(clean_line(name), CHOICE_LIMIT - len(suffix)) + suffix, name


def story_message(story: Story) -> dict[str, Any]:
    """The feed's message for one story: the same embed and link buttons, pinging nobody. No Follow component:
    the /news view lays out its own buttons (bot/render/embeds.py ``follow_component`` is there to reuse)."""
    return build_story_message(story, follow=False)
