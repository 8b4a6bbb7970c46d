"""What a story becomes in each kind of channel: forum post bodies, tags, thread names, webhook identity."""

from __future__ import annotations

from bot.send.kinds.payloads import (
    ChannelInfo,
    ChannelKind,
    ForumTag,
    discussion_opener,
    forum_post,
    kind_of,
    matching_tags,
    missing_tags,
    thread_name,
    webhook_identity,
)
from bot.stories.story import Provider, RelatedStory, Story


def story(**fields: object) -> Story:
    values: dict[str, object] = {"key": "k", "title": "A story", "provider": Provider("Example News", "news.example")}
    values.update(fields)
    return Story(**values)  # type: ignore[arg-type]


def test_kind_follows_the_channel_type() -> None:
    assert kind_of(0) is ChannelKind.TEXT and kind_of(11) is ChannelKind.TEXT
    assert kind_of(5) is ChannelKind.ANNOUNCEMENT
    assert kind_of(15) is ChannelKind.FORUM and kind_of(16) is ChannelKind.FORUM


def test_channel_info_reads_a_forums_tags_and_permissions() -> None:
    info = ChannelInfo.from_channel({"type": 15, "available_tags": [{"id": "7", "name": "AI"}]}, 1 << 4)
    assert info.kind is ChannelKind.FORUM and info.tags == (ForumTag(7, "AI"),)
    assert info.can(1 << 4) and not info.can(1 << 29)
    assert ChannelInfo(ChannelKind.TEXT).can(1 << 29), "no permission data (a DM, an owner): everything"


def test_matching_tags_ignore_case_and_stop_at_five() -> None:
    tags = [ForumTag(i, name) for i, name in enumerate(["ai", "Security", "Science", "A", "B", "C", "D"])]
    assert matching_tags(tags, ("AI", "security", "Climate")) == [0, 1]
    assert len(matching_tags(tags, ("ai", "security", "science", "a", "b", "c", "d"))) == 5


def test_missing_tags_fit_under_the_forums_twenty() -> None:
    have = [ForumTag(i, f"t{i}") for i in range(18)]
    assert missing_tags(have, ("T1", "New one", "Another", "Third")) == ["New one", "Another"]
    assert missing_tags([], ("A very long topic name indeed",)) == ["A very long topic…"]
    assert missing_tags([ForumTag(1, "AI")], ("ai", "AI")) == []


def test_thread_name_is_one_line_of_at_most_100_characters() -> None:
    assert thread_name("Short\ntitle") == "Short title"
    assert len(thread_name("word " * 60)) <= 100
    assert thread_name("") == "(untitled)"


def test_forum_post_body_carries_the_message_and_tags() -> None:
    body = forum_post(story(title="T" * 150), {"embeds": [{"title": "x"}]}, [3, 4], 60)
    assert len(body["name"]) == 100 and body["applied_tags"] == ["3", "4"] and body["auto_archive_duration"] == 60
    assert body["message"] == {"embeds": [{"title": "x"}]}


def test_discussion_opener_lists_related_coverage_without_pinging() -> None:
    related = (RelatedStory("Other view @everyone", "https://other.example/1", provider=Provider("Other Paper")),)
    opener = discussion_opener(story(related=related))
    assert "https://other.example/1" in opener["content"] and "(Other Paper)" in opener["content"]
    assert "@everyone" not in opener["content"] and opener["allowed_mentions"] == {"parse": []}
    assert discussion_opener(story())["content"] == "Discuss this story here."


def test_webhook_identity_is_the_provider_with_its_avatar() -> None:
    avatars = {"news.example": "https://news.example/logo.png"}
    assert webhook_identity(story(), avatars) == {
        "username": "Example News",
        "avatar_url": "https://news.example/logo.png",
    }
    assert webhook_identity(story(provider=None), avatars) == {"username": "Newsdesk"}
    # Discord refuses "clyde" and "discord" in a webhook username, in any case.
    name = webhook_identity(story(provider=Provider("Discord Daily by CLYDE", "dd.example")), {})["username"]
    assert "discord" not in name.lower() and "clyde" not in name.lower()
    assert name.replace("\u200b", "") == "Discord Daily by CLYDE"
