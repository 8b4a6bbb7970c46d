"""Unit tests for bot.stories.parser: the errors bad story files give, each naming the file and field."""

from __future__ import annotations

import pytest

from bot.stories.parser import StoryError, parse_story_text
from tests.unit.test_parser import SEED_FILE, SEED_TEXT, parse_error

# --- errors ---------------------------------------------------------------------------------------


def test_broken_yaml_names_file_and_line() -> None:
    error = parse_error("title: ok\nexcerpt: this: breaks\nquality: 3")
    assert "broken YAML" in str(error)
    assert "line" in str(error)


def test_broken_yaml_line_number_is_the_file_line() -> None:
    # File line 1 is '---', line 2 the title, line 3 the broken excerpt.
    error = parse_error("title: ok\nexcerpt: this: breaks\nquality: 3")
    assert "line 3," in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "title: no fences at all\n",
        "",
        "Just some markdown.\n---\ntitle: T\n---\n",
        "----\ntitle: T\n----\n",
        "--- title: T\n---\n",
    ],
)
def test_no_front_matter(text: str) -> None:
    with pytest.raises(StoryError, match="no front matter") as info:
        parse_story_text(text, "inbox/plain.md")
    assert "inbox/plain.md" in str(info.value)


@pytest.mark.parametrize("cut", [4, 40, 400, 2000, len(SEED_TEXT) - 6])
def test_half_written_file_is_not_closed(cut: int) -> None:
    with pytest.raises(StoryError, match="not closed") as info:
        parse_story_text(SEED_TEXT[:cut], SEED_FILE)
    assert SEED_FILE in str(info.value)


@pytest.mark.parametrize("text", ["---\n---\n", "---\n\n---\nbody", "---\n# only a comment\n---\n"])
def test_empty_front_matter(text: str) -> None:
    with pytest.raises(StoryError, match="empty") as info:
        parse_story_text(text, "e.md")
    assert str(info.value).startswith("e.md:")
    assert info.value.field == "title"


def test_front_matter_that_is_a_list() -> None:
    error = parse_error("- title: T\n- quality: 3")
    assert "mapping" in str(error)
    assert "list" in str(error)


def test_front_matter_that_is_a_scalar() -> None:
    error = parse_error("just a sentence")
    assert "mapping" in str(error)


def test_missing_title() -> None:
    error = parse_error("excerpt: no title here")
    assert error.field == "title"
    assert "title" in str(error)
    assert "missing" in str(error)


@pytest.mark.parametrize("value", ["''", "'   '", "", "null"])
def test_empty_title(value: str) -> None:
    error = parse_error(f"title: {value}")
    assert error.field == "title"
    assert "stories/bad.md: title:" in str(error)


@pytest.mark.parametrize("value", ["{text: T}", "[a, b]"])
def test_title_not_text(value: str) -> None:
    error = parse_error(f"title: {value}")
    assert error.field == "title"
    assert "stories/bad.md: title: expected text" in str(error)


@pytest.mark.parametrize("value", ["yesterday", "'2020-13-45'", "12345", "[2020]"])
def test_bad_published_date_time(value: str) -> None:
    error = parse_error(f"title: T\npublishedDateTime: {value}")
    assert error.field == "publishedDateTime"
    assert "publishedDateTime" in str(error)


@pytest.mark.parametrize("value", ["high", "'12abc'", "true", "[1]", "{a: 1}", ".nan", ".inf"])
def test_bad_quality(value: str) -> None:
    error = parse_error(f"title: T\nquality: {value}")
    assert error.field == "quality"
    assert "quality" in str(error)


@pytest.mark.parametrize("value", ["'inf'", "'1e400'", "'-Infinity'"])
def test_infinite_quality_string_is_a_story_error(value: str) -> None:
    error = parse_error(f"title: T\nquality: {value}")
    assert error.field == "quality"


def test_bad_heat() -> None:
    assert parse_error("title: T\nheat: lukewarm").field == "heat"


@pytest.mark.parametrize("value", ["[true]", "{value: true}"])
def test_bad_published(value: str) -> None:
    error = parse_error(f"title: T\npublished: {value}")
    assert error.field == "published"
    assert "published" in str(error)


def test_image_item_that_is_a_list() -> None:
    error = parse_error("title: T\nimages:\n  - url: https://img.example.com/a.jpg\n  - [a, b]")
    assert error.field == "images[1]"
    assert "images[1]" in str(error)


def test_nested_image_width_error_names_the_field() -> None:
    error = parse_error(
        "title: T\nimages:\n  - https://img.example.com/a.jpg\n  - {url: 'https://x.example/b', width: wide}"
    )
    assert error.field == "images[1].width"
    assert "stories/bad.md: images[1].width:" in str(error)


def test_related_provider_error_names_the_field() -> None:
    error = parse_error("title: T\nrelated:\n  - title: R\n    provider: [a, b]")
    assert error.field == "related[0].provider"
    assert "related[0].provider" in str(error)


def test_related_item_not_a_mapping() -> None:
    error = parse_error("title: T\nrelated:\n  - title: R\n  - just text")
    assert error.field == "related[1]"


def test_related_image_error_names_the_nested_field() -> None:
    error = parse_error(
        "title: T\nrelated:\n  - title: R\n    images:\n      - {url: 'https://x.example/i', height: tall}"
    )
    assert error.field == "related[0].images[0].height"


def test_related_date_error_names_the_nested_field() -> None:
    error = parse_error("title: T\nrelated:\n  - title: R\n    publishedDateTime: soon")
    assert error.field == "related[0].publishedDateTime"


def test_topic_that_is_a_mapping() -> None:
    error = parse_error("title: T\ntopics:\n  - AI\n  - {name: Security}")
    assert error.field == "topics[1]"


def test_provider_name_that_is_a_list() -> None:
    assert parse_error("title: T\nprovider: {name: [a]}").field == "provider.name"


def test_story_error_is_a_value_error() -> None:
    assert issubclass(StoryError, ValueError)
    error = StoryError("a.md", "went wrong", "quality")
    assert str(error) == "a.md: quality: went wrong"
    assert str(StoryError("a.md", "went wrong")) == "a.md: went wrong"
