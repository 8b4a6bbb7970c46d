"""Adoption: a message already in the channel's history is found by the story's link, never posted again."""

from __future__ import annotations

from bot.cluster.adopt import find_posted, forum_candidates, is_crossposted, thread_of
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


def test_webhook_messages_are_ours_only_through_our_webhook() -> None:
    story = parsed_file("a.md", 1).story
    mine = build_story_message(story, role_ids=(), style="full", color=0)
    hooked = {**as_history(20, mine, author=77), "webhook_id": "77"}
    other_hook = {**as_history(30, mine, author=88), "webhook_id": "88"}
    assert find_posted([other_hook, hooked], story.web_url, webhook_id=77) == 20
    assert find_posted([hooked], story.web_url, author_id=BOT) is None, "a webhook message is not the bot's own"


def test_forum_candidates_put_posts_named_like_the_story_first_then_the_newest() -> None:
    threads = [
        {"id": str(n), "parent_id": "9" if n != 8 else "10", "name": "Story" if n in (3, 5) else f"other {n}"}
        for n in range(1, 10)
    ]
    assert forum_candidates(threads, 9, "Story") == [5, 3, 9, 7, 6]


def test_a_message_tells_its_thread_and_whether_it_was_crossposted() -> None:
    assert thread_of({"id": "5", "thread": {"id": "5"}}) == 5 and thread_of({"id": "5"}) is None
    assert is_crossposted({"flags": 1 | 32}) and not is_crossposted({"flags": 32}) and not is_crossposted({})
