"""/newsdesk top's text (cogs/newsdesk/_top.py top_embed): per channel, reactions and replies, within limits."""

from __future__ import annotations

from bot.render.embeds import DESCRIPTION_LIMIT
from bot.signal.ranking import Engagement
from bot.store.signal_reads import Discussed
from cogs.newsdesk._top import top_embed


def item(channel: int, n: int, **counts: int) -> Discussed:
    return Discussed(channel, n, f"Story {n} @everyone", f"https://news.example/{n}", Engagement(**counts))


def test_stories_are_listed_under_their_channel_with_reactions_and_replies() -> None:
    embed = top_embed([item(1, 10, reactions=30, replies=12), item(1, 11, replies=1), item(2, 12, shares=4)], "day")
    assert embed["title"] == "Most discussed in the last 24 hours"
    assert embed["description"].split("\n") == [
        "**<#1>**",
        "• [Story 10 @\u200beveryone](https://news.example/10) · 👍 30 · 💬 12",
        "• [Story 11 @\u200beveryone](https://news.example/11) · 👍 0 · 💬 1",
        "**<#2>**",
        "• [Story 12 @\u200beveryone](https://news.example/12) · 👍 0 · 💬 0",
    ]


def test_nothing_discussed_says_so_and_a_long_list_is_cut_with_a_count() -> None:
    assert top_embed([], "week")["description"].startswith("Nothing discussed yet in the last 7 days")
    many = [item(c, c * 100 + n, reactions=1) for c in range(40) for n in range(5)]
    text = top_embed(many, "week")["description"]
    assert len(text) <= DESCRIPTION_LIMIT and text.endswith("more") and "…and " in text
