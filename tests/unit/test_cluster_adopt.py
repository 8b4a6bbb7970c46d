"""Adoption: a message already in the channel's history is found by the story's link, never posted again."""

from __future__ import annotations

from bot.cluster.adopt import find_posted
from bot.render.embeds import build_story_message
from tests.storyfiles import parsed_file

BOT = 555


def as_history(message_id: int, payload: dict, author: int = BOT) -> dict:
    return {"id": str(message_id), "author": {"id": str(author)}, **payload}


def test_a_posted_story_is_found_by_its_link_in_the_history() -> None:
    story = parsed_file("a.md", 1).story
    mine = build_story_message(story, role_ids=(), style="full", color=0)
    other = build_story_message(parsed_file("b.md", 2).story, role_ids=(), style="full", color=0)
    history = [as_history(30, other), as_history(20, mine), as_history(10, {"content": "hello"})]
    assert find_posted(history, story.web_url, author_id=BOT) == 20


def test_compact_posts_are_found_by_the_link_in_their_text() -> None:
    story = parsed_file("a.md", 1).story
    compact = build_story_message(story, role_ids=(), style="compact", color=0)
    assert find_posted([as_history(7, compact)], story.web_url, author_id=BOT) == 7


def test_nothing_is_adopted_when_the_story_is_not_there_or_posted_by_someone_else() -> None:
    story = parsed_file("a.md", 1).story
    mine = build_story_message(story, role_ids=(), style="full", color=0)
    assert find_posted([as_history(20, mine, author=999)], story.web_url, author_id=BOT) is None
    assert find_posted([], story.web_url) is None
    assert find_posted([as_history(20, mine)], "") is None  # no link: nothing can identify it
