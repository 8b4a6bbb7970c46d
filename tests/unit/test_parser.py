# ruff: noqa: E501
"""Unit tests for bot.stories.parser: story files into Story objects, and the errors bad files give."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.stories.parser import StoryError, is_story_path, parse_story_text
from bot.stories.story import Image, Provider, RelatedStory, Secured, Story, canonical_url

SEED_PATH = Path("/work/shared/seed/000_d2d88bae02f7df0a.txt")

# A verbatim copy of the real example story above, so these tests do not depend on files outside the repo.
SEED_TEXT = """---
category: news
title: "Leaked Reports Show EU Police Are Planning a Pan-European Network of Facial Recognition Databases"
excerpt: "the EU could soon be creating a network of national police facial recognition databases. A report drawn up by the national police forces of 10 EU member states, led by Austria, calls for the introduction of EU legislation to introduce and interconnect such databases in every member state. The report, which The Intercept obtained from a European ..."
publishedDateTime: 2020-02-21T17:08:00Z
webUrl: "https://theintercept.com/2020/02/21/eu-facial-recognition-database/"
type: article
quality: 26
heat: -1
published: false

provider:
  name: The Intercept
  domain: theintercept.com

topics:
  - AI
  - Computer Vision

images:
  - url: "https://theintercept.com/wp-uploads/sites/1/2020/02/YotamHadar_TheIntercept_EUv4-still-1582297909.jpg"
    width: 2000
    height: 1000
    title: "Leaked Reports Show EU Police Are Planning a Pan-European Network of Facial Recognition Databases"

related:
  - title: "Police chiefs say facial recognition needs more review — but cops should be able to use AI"
    excerpt: "The chiefs of two Greater Toronto Area police forces now slamming the brakes on the use of a contentious facial recognition tool admit the app should have undergone greater scrutiny before it was tested by their investigators. Clearview AI, a U.S.-based app providing an artificial intelligence-powered tool to law enforcement agencies ..."
    publishedDateTime: 2020-02-22T18:47:00Z
    webUrl: "https://www.thestar.com/news/gta/2020/02/22/police-chiefs-say-facial-recognition-needs-more-review-but-cops-should-be-able-to-use-ai.html"
    ampWebUrl: "https://www.thestar.com/amp/news/gta/2020/02/22/police-chiefs-say-facial-recognition-needs-more-review-but-cops-should-be-able-to-use-ai.html"
    cdnAmpWebUrl: "https://www-thestar-com.cdn.ampproject.org/c/s/www.thestar.com/amp/news/gta/2020/02/22/police-chiefs-say-facial-recognition-needs-more-review-but-cops-should-be-able-to-use-ai.html"
    type: article
    provider:
      name: The Star
      domain: thestar.com
    quality: 64
    images:
      - url: "https://images.thestar.com/qwkecqtwTW63-JSZV4bdnJsqCl4=/1200x800/smart/filters:cb(1582396914056)/https://www.thestar.com/content/dam/thestar/news/gta/2020/02/22/police-chiefs-say-facial-recognition-needs-more-review-but-cops-should-be-able-to-use-ai/afwpeelchief01.jpg"
        width: 1200
        height: 800
  - title: "GTA police chiefs say facial recognition needs more review — but cops should be able to use AI"
    excerpt: "The chiefs of two Greater Toronto Area police forces now slamming the brakes on the use of a contentious facial recognition tool admit the app should have undergone greater scrutiny before it was tested by their investigators. Clearview AI, a U.S.-based app providing an artificial intelligence-powered tool to law enforcement agencies ..."
    publishedDateTime: 2020-02-23T19:13:00Z
    webUrl: "https://www.thespec.com/news-story/9862787-gta-police-chiefs-say-facial-recognition-needs-more-review-but-cops-should-be-able-to-use-ai/"
    type: article
    provider:
      name: The Hamilton Spectator
      domain: thespec.com
    quality: 42
    images:
      - url: "https://dynamicmedia.zuza.com/zz/m/original_/2/5/25c13924-d942-4127-ab5c-876b462a3e14/B881053350Z.1_20200223131813_000_GI7SUH6U.4-0_Super_Portrait.jpg"
        width: 625
        height: 417

secured: "XudAWZMyHTuB6TI+c28ihFDeZyiQ69+iavxmje6CAasl82sEA1MSRHWIPWuphgKRbOarN9OHSQmR9jdda627/uuRo8zmZfU2VeCxQ1pa6cpGX+E27tKf76qzMKedeHmNUko3SGxRuN1NOah0cexuPi9Uo4sIi+WrYMBFABWyNdRMcWAvFzrjSP6Dvm4p9UBJTO6SxmhfhG2xx8YFu4gJT4YZsbVH7ygDoz4FolDgxNz6kYa3OM2XKk7xo8z1psS4Gw6YdQLRgk7l3ml1bWAY3AAEoaGLCNA8uk303wx8lYXRtlyOmFOgQvzXOFB93n5KV07hD39PyehcS6IPYWreOod/yCM89TTwKzFULsmBB7joP+W0Hi/1+kWM++3Dx+Tfs7wu6QfSokHqf6kohUEu3q0ZieQJoIw81fs02ij+2INn3yVTlrkS0VbLd/JAT1S5KqPcl3RGRoe0woH6AwQW2ccX1VowQVmBj7awrK3i8kQ=;aupIKHsWi6BXgVzjZhh4Iw=="
---

"""

SEED_BLOB = (
    "XudAWZMyHTuB6TI+c28ihFDeZyiQ69+iavxmje6CAasl82sEA1MSRHWIPWuphgKRbOarN9OHSQmR9jdda627/uuRo8zmZfU2VeCxQ1pa6cpGX+"
    "E27tKf76qzMKedeHmNUko3SGxRuN1NOah0cexuPi9Uo4sIi+WrYMBFABWyNdRMcWAvFzrjSP6Dvm4p9UBJTO6SxmhfhG2xx8YFu4gJT4YZsbVH7"
    "ygDoz4FolDgxNz6kYa3OM2XKk7xo8z1psS4Gw6YdQLRgk7l3ml1bWAY3AAEoaGLCNA8uk303wx8lYXRtlyOmFOgQvzXOFB93n5KV07hD39PyehcS"
    "6IPYWreOod/yCM89TTwKzFULsmBB7joP+W0Hi/1+kWM++3Dx+Tfs7wu6QfSokHqf6kohUEu3q0ZieQJoIw81fs02ij+2INn3yVTlrkS0VbLd/JAT1"
    "S5KqPcl3RGRoe0woH6AwQW2ccX1VowQVmBj7awrK3i8kQ=;aupIKHsWi6BXgVzjZhh4Iw=="
)
# Distinctive pieces of the blob: none of them may show up in any rendering of the story.
BLOB_PIECES = (SEED_BLOB, "XudAWZMyHTuB6TI", "aupIKHsWi6BXgVzjZhh4Iw")

SEED_FILE = "news/000_d2d88bae02f7df0a.txt"


def parse(front: str, path: str = "stories/a.md", body: str = "") -> Story:
    """Parse a story whose front matter is ``front`` (YAML lines, without the fences)."""
    return parse_story_text(f"---\n{front}\n---\n{body}", path)


def parse_error(front: str, path: str = "stories/bad.md") -> StoryError:
    with pytest.raises(StoryError) as info:
        parse(front, path)
    assert path in str(info.value)
    assert info.value.path == path
    return info.value


@pytest.fixture(scope="module")
def seed() -> Story:
    return parse_story_text(SEED_TEXT, SEED_FILE)


# --- the real example story -----------------------------------------------------------------------


@pytest.mark.skipif(not SEED_PATH.exists(), reason="shared seed folder not present")
def test_embedded_seed_is_the_real_file() -> None:
    assert SEED_PATH.read_text(encoding="utf-8") == SEED_TEXT


def test_seed_scalar_fields(seed: Story) -> None:
    assert seed.title == (
        "Leaked Reports Show EU Police Are Planning a Pan-European Network of Facial Recognition Databases"
    )
    assert seed.excerpt.startswith("the EU could soon be creating a network of national police facial recognition")
    assert seed.excerpt.endswith("which The Intercept obtained from a European ...")
    assert seed.web_url == "https://theintercept.com/2020/02/21/eu-facial-recognition-database/"
    assert seed.key == "https://theintercept.com/2020/02/21/eu-facial-recognition-database"
    assert seed.key == canonical_url(seed.web_url)
    assert seed.quality == 26
    assert seed.heat == -1
    assert seed.published is False
    assert seed.category == "news"
    assert seed.kind == "article"
    assert seed.body == ""


def test_seed_published_at_is_aware_utc(seed: Story) -> None:
    assert seed.published_at == datetime(2020, 2, 21, 17, 8, tzinfo=UTC)
    assert seed.published_at is not None
    assert seed.published_at.utcoffset() is not None
    assert seed.published_at.utcoffset() == timedelta(0)


def test_seed_provider_and_topics(seed: Story) -> None:
    assert seed.provider == Provider("The Intercept", "theintercept.com")
    assert seed.topics == ("AI", "Computer Vision")


def test_seed_images(seed: Story) -> None:
    assert seed.images == (
        Image(
            url="https://theintercept.com/wp-uploads/sites/1/2020/02/YotamHadar_TheIntercept_EUv4-still-1582297909.jpg",
            width=2000,
            height=1000,
            title=seed.title,
        ),
    )
    assert seed.images[0].area == 2_000_000


def test_seed_related(seed: Story) -> None:
    assert len(seed.related) == 2
    first, second = seed.related
    assert isinstance(first, RelatedStory)
    assert first.title == "Police chiefs say facial recognition needs more review — but cops should be able to use AI"
    assert first.web_url == (
        "https://www.thestar.com/news/gta/2020/02/22/"
        "police-chiefs-say-facial-recognition-needs-more-review-but-cops-should-be-able-to-use-ai.html"
    )
    assert first.excerpt.startswith("The chiefs of two Greater Toronto Area police forces")
    assert first.published_at == datetime(2020, 2, 22, 18, 47, tzinfo=UTC)
    assert first.provider == Provider("The Star", "thestar.com")
    assert first.quality == 64
    assert len(first.images) == 1
    assert first.images[0].url.startswith("https://images.thestar.com/qwkecqtwTW63-JSZV4bdnJsqCl4=/1200x800/")
    assert first.images[0].url.endswith("/afwpeelchief01.jpg")
    assert (first.images[0].width, first.images[0].height, first.images[0].title) == (1200, 800, "")

    assert second.title.startswith("GTA police chiefs say")
    assert second.published_at == datetime(2020, 2, 23, 19, 13, tzinfo=UTC)
    assert second.provider == Provider("The Hamilton Spectator", "thespec.com")
    assert second.quality == 42
    assert [(i.width, i.height) for i in second.images] == [(625, 417)]
    assert second.images[0].url.endswith("B881053350Z.1_20200223131813_000_GI7SUH6U.4-0_Super_Portrait.jpg")


def test_seed_secured_is_kept_but_redacted(seed: Story) -> None:
    assert isinstance(seed.secured, Secured)
    assert seed.secured.value == SEED_BLOB
    for rendering in (repr(seed.secured), str(seed.secured), f"{seed.secured}", repr(seed), str(seed)):
        for piece in BLOB_PIECES:
            assert piece not in rendering
    assert "redacted" in repr(seed.secured)


def test_seed_to_dict_and_fingerprint_leave_out_secured(seed: Story) -> None:
    data = seed.to_dict()
    assert "secured" not in data
    dumped = json.dumps(data, ensure_ascii=False)
    for piece in BLOB_PIECES:
        assert piece not in dumped
    fingerprint = seed.fingerprint()
    assert len(fingerprint) == 64
    for piece in BLOB_PIECES:
        assert piece not in fingerprint
    # The fingerprint does not depend on the secured content at all.
    other = dataclasses.replace(seed, secured=Secured("something else entirely"))
    assert other.fingerprint() == fingerprint
    assert dataclasses.replace(seed, secured=None).fingerprint() == fingerprint


def test_seed_fingerprint_is_stable_and_content_sensitive(seed: Story) -> None:
    again = parse_story_text(SEED_TEXT, SEED_FILE)
    assert again.fingerprint() == seed.fingerprint()
    changed = parse_story_text(SEED_TEXT.replace("quality: 26", "quality: 27"), SEED_FILE)
    assert changed.fingerprint() != seed.fingerprint()


def test_seed_round_trips_through_dict(seed: Story) -> None:
    data = json.loads(json.dumps(seed.to_dict()))  # the store keeps JSON
    restored = Story.from_dict(data)
    assert restored.secured is None
    assert restored == dataclasses.replace(seed, secured=None)
    assert restored.published_at == seed.published_at
    assert restored.published_at is not None and restored.published_at.tzinfo is not None
    assert restored.fingerprint() == seed.fingerprint()


# --- encodings and line endings -----------------------------------------------------------------------


def test_utf8_bom_is_ignored(seed: Story) -> None:
    story = parse_story_text("\ufeff" + SEED_TEXT, SEED_FILE)
    assert story == seed


def test_bom_from_bytes() -> None:
    raw = "---\ntitle: Café ✓\n---\nbody".encode("utf-8-sig")
    story = parse_story_text(raw.decode("utf-8"), "a.md")  # plain utf-8 decode keeps the BOM character
    assert story.title == "Café ✓"
    assert story.body == "body"


def test_crlf_line_endings(seed: Story) -> None:
    story = parse_story_text(SEED_TEXT.replace("\n", "\r\n"), SEED_FILE)
    assert story == seed


def test_crlf_body_is_normalised() -> None:
    story = parse_story_text("---\r\ntitle: T\r\n---\r\nline one\r\nline two\r\n", "a.md")
    assert story.title == "T"
    assert story.body == "line one\nline two"


def test_lone_cr_line_endings(seed: Story) -> None:
    story = parse_story_text(SEED_TEXT.replace("\n", "\r"), SEED_FILE)
    assert story == seed


def test_body_after_front_matter_is_kept() -> None:
    story = parse("title: T", body="\n\nFirst paragraph.\n\n---\n\nAfter a rule.\n\n")
    assert story.body == "First paragraph.\n\n---\n\nAfter a rule."


# --- lenient field types --------------------------------------------------------------------------


def test_only_a_title() -> None:
    story = parse("title: Just a title", path="dir/only.md")
    assert story == Story(key="file:dir/only.md", title="Just a title")
    assert story.published_at is None
    assert story.provider is None
    assert story.quality is None and story.heat is None
    assert story.published is False
    assert story.secured is None
    assert story.topics == () and story.images == () and story.related == ()


def test_title_is_stripped() -> None:
    assert parse("title: '  Spaced out  '").title == "Spaced out"


def test_numbers_where_text_is_expected() -> None:
    story = parse("title: 2024\nprovider:\n  name: 42\ntopics: [1, 2.5]\ncategory: 7")
    assert story.title == "2024"
    assert story.provider == Provider("42", "")
    assert story.topics == ("1", "2.5")
    assert story.category == "7"


def test_provider_as_plain_string() -> None:
    assert parse("title: T\nprovider: Reuters").provider == Provider("Reuters", "")


def test_provider_with_only_domain_uses_domain_as_name() -> None:
    assert parse("title: T\nprovider: {domain: example.com}").provider == Provider("example.com", "example.com")


def test_empty_provider_is_none() -> None:
    assert parse("title: T\nprovider: {name: '', domain: ''}").provider is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("'64'", 64), ('" 64 "', 64), ("63.7", 64), ("'63.7'", 64), ("63.2", 63), ("0", 0), ("-5", -5), ("''", None)],
)
def test_quality_coercion(value: str, expected: int | None) -> None:
    story = parse(f"title: T\nquality: {value}")
    assert story.quality == expected
    assert story.quality is None or type(story.quality) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("'true'", True),
        ("'TRUE'", True),
        ("' True '", True),
        # Only true or "true" publish (issue 17.7): YAML 1.1's yes/on and the number 1 do not.
        ("yes", False),
        ("'yes'", False),
        ("on", False),
        ("1", False),
        ("'1'", False),
        ("null", False),
        ("maybe", False),
        ("2", False),
        ("'on please'", False),
        ("false", False),
        ("'false'", False),
        ("'no'", False),
        ("0", False),
        ("''", False),
    ],
)
def test_published_coercion(value: str, expected: bool) -> None:
    assert parse(f"title: T\npublished: {value}").published is expected


def test_topics_as_single_string() -> None:
    assert parse("title: T\ntopics: Security").topics == ("Security",)


def test_duplicate_topics_are_deduplicated_keeping_first_spelling() -> None:
    story = parse("title: T\ntopics: [Machine Learning, AI, ai, machine  learning, Ai, Security, AI]")
    assert story.topics == ("Machine Learning", "AI", "Security")


def test_blank_topics_are_dropped() -> None:
    assert parse("title: T\ntopics: ['', '  ', AI]").topics == ("AI",)


def test_naive_datetime_is_utc() -> None:
    story = parse("title: T\npublishedDateTime: 2020-02-21 17:08:00")
    assert story.published_at == datetime(2020, 2, 21, 17, 8, tzinfo=UTC)
    assert story.published_at.utcoffset() == timedelta(0)


def test_naive_datetime_string_is_utc() -> None:
    story = parse("title: T\npublishedDateTime: '2020-02-21T17:08:00'")
    assert story.published_at == datetime(2020, 2, 21, 17, 8, tzinfo=UTC)
    assert story.published_at.tzinfo is not None


def test_offset_datetime_is_converted_to_utc() -> None:
    story = parse("title: T\npublishedDateTime: '2020-02-21T19:08:00+02:00'")
    assert story.published_at == datetime(2020, 2, 21, 17, 8, tzinfo=UTC)
    assert story.published_at.utcoffset() == timedelta(0)


def test_quoted_z_datetime() -> None:
    story = parse("title: T\npublishedDateTime: '2020-02-21T17:08:00Z'")
    assert story.published_at == datetime(2020, 2, 21, 17, 8, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2020-02-21", "'2020-02-21'"])
def test_date_only_is_midnight_utc(value: str) -> None:
    story = parse(f"title: T\npublishedDateTime: {value}")
    assert story.published_at == datetime(2020, 2, 21, 0, 0, tzinfo=UTC)
    assert story.published_at.tzinfo is not None


def test_images_as_plain_urls_and_without_url_skipped() -> None:
    story = parse(
        "title: T\nimages:\n  - https://img.example.com/a.jpg\n  - {width: 10, height: 10}\n"
        "  - {url: 'https://img.example.com/b.jpg', width: '300', height: 200.4}"
    )
    assert story.images == (
        Image("https://img.example.com/a.jpg"),
        Image("https://img.example.com/b.jpg", 300, 200),
    )


def test_related_without_title_uses_url_and_empty_entries_are_skipped() -> None:
    story = parse("title: T\nrelated:\n  - {webUrl: 'https://other.example.org/x'}\n  - {excerpt: nothing else}")
    assert story.related == (RelatedStory(title="https://other.example.org/x", web_url="https://other.example.org/x"),)


def test_unknown_fields_are_ignored() -> None:
    story = parse("title: T\nampWebUrl: https://amp.example.com/x\nsomethingNew: [1, 2]")
    assert story.title == "T"


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


# --- aliases and anchors --------------------------------------------------------------------------


def _billion_laughs(flow: bool = True) -> str:
    names = "abcdefghi"
    lines = []
    if flow:
        lines.append('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
        for prev, name in itertools.pairwise(names):
            lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    else:
        lines.append("a: &a\n" + "\n".join(["  - lol"] * 9))
        for prev, name in itertools.pairwise(names):
            lines.append(f"{name}: &{name}\n" + "\n".join([f"  - *{prev}"] * 9))
    return "\n".join(lines)


@pytest.mark.parametrize("flow", [True, False])
def test_billion_laughs_is_rejected(flow: bool) -> None:
    error = parse_error("title: Bomb\n" + _billion_laughs(flow))
    assert "alias" in str(error)


def test_billion_laughs_used_as_topics_is_rejected() -> None:
    error = parse_error("title: Bomb\n" + _billion_laughs() + "\ntopics: *i")
    assert "alias" in str(error)


def test_mapping_alias_bomb_is_rejected() -> None:
    lines = ["a: &a {x: lol, y: lol}"]
    names = "abcdefghijklmnopqrstuvwxyz"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} {{k1: *{prev}, k2: *{prev}}}")
    error = parse_error("title: Bomb\n" + "\n".join(lines))
    assert "alias" in str(error)


def test_small_anchor_reuse_is_accepted() -> None:
    story = parse(
        "title: T\nprovider: &p\n  name: Example News\n  domain: example.com\n"
        "related:\n  - title: R\n    webUrl: https://example.com/r\n    provider: *p"
    )
    assert story.provider == Provider("Example News", "example.com")
    assert story.related[0].provider == story.provider


def test_self_referencing_alias_is_a_story_error() -> None:
    error = parse_error("title: T\ntopics: &a [AI, *a]")
    assert error.field == "topics[1]"


def test_undefined_alias_is_broken_yaml() -> None:
    error = parse_error("title: T\nprovider: *nowhere")
    assert "broken YAML" in str(error)


def test_ampersands_and_asterisks_in_text_parse_normally() -> None:
    story = parse(
        "title: Cats & dogs *really* get along\n"
        "webUrl: https://news.example.com/story?id=1&ref=rss&x=*y\n"
        "excerpt: This is *bold* and **very bold**, R&D & more\n"
        "topics: [R&D, '*nix']"
    )
    assert story.title == "Cats & dogs *really* get along"
    assert story.web_url == "https://news.example.com/story?id=1&ref=rss&x=*y"
    assert story.key == "https://news.example.com/story?id=1&ref=rss&x=*y"
    assert story.excerpt == "This is *bold* and **very bold**, R&D & more"
    assert story.topics == ("R&D", "*nix")


def test_quoted_leading_asterisk_excerpt() -> None:
    assert parse("title: T\nexcerpt: '*Breaking* news'").excerpt == "*Breaking* news"
    assert parse('title: T\nexcerpt: "*Breaking* & news"').excerpt == "*Breaking* & news"


# --- keys and canonical URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/Path/To/Story", "https://news.example.com/Path/To/Story"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "http://news.example.com/a"),
        ("https://news.example.com:8443/a", "https://news.example.com:8443/a"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        ("https://news.example.com/a/", "https://news.example.com/a"),
        ("https://news.example.com/", "https://news.example.com"),
        ("https://news.example.com", "https://news.example.com"),
        ("https://news.example.com/a?utm_source=rss&utm_medium=feed", "https://news.example.com/a"),
        ("https://news.example.com/a?id=7&utm_campaign=x&page=2", "https://news.example.com/a?id=7&page=2"),
        ("https://news.example.com/a?UTM_Source=x&id=7", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?fbclid=abc&gclid=def&id=7", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?utmost=1", "https://news.example.com/a?utmost=1"),
        ("  https://news.example.com/a  ", "https://news.example.com/a"),
        ("https://news.example.com/CaseMatters/A.HTML", "https://news.example.com/CaseMatters/A.HTML"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_keeps_path_case_distinct() -> None:
    assert canonical_url("https://example.com/Story") != canonical_url("https://example.com/story")


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTPS://Example.com:443/A/B/?utm_source=x&q=1#frag")
    assert once == "https://example.com/A/B?q=1"
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
    ],
)
def test_canonical_url_keeps_non_default_ports(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_ipv6_host() -> None:
    assert canonical_url("http://[::1]:8080/x") == "http://[::1]:8080/x"


@pytest.mark.parametrize("url", ["https://example.com:99999/x", "https://example.com:abc/x"])
def test_bad_port_in_web_url_is_a_story_error(url: str) -> None:
    error = parse_error(f"title: T\nwebUrl: '{url}'")
    assert error.field == "webUrl"


def test_same_web_url_spelled_differently_gives_same_key() -> None:
    a = parse("title: A\nwebUrl: https://news.example.com/2024/story/", path="a.md")
    b = parse(
        "title: B\nwebUrl: HTTPS://NEWS.example.com:443/2024/story?utm_source=twitter#top",
        path="elsewhere/b.txt",
    )
    assert a.key == b.key == "https://news.example.com/2024/story"
    assert a.web_url != b.web_url  # the original spelling is kept for display


def test_path_case_differences_give_different_keys() -> None:
    a = parse("title: A\nwebUrl: https://news.example.com/Story")
    b = parse("title: B\nwebUrl: https://news.example.com/story")
    assert a.key != b.key


@pytest.mark.parametrize("path", ["stories/no-url.md", "deep/er/x.txt", "top.md"])
def test_story_without_web_url_is_keyed_by_file(path: str) -> None:
    assert parse("title: T", path=path).key == f"file:{path}"
    assert parse("title: T\nwebUrl: ''", path=path).key == f"file:{path}"


def test_non_http_web_url_is_keyed_by_file() -> None:
    story = parse("title: T\nwebUrl: not a url", path="x/y.md")
    assert story.key == "file:x/y.md"
    assert story.web_url == "not a url"


# --- which files are stories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["a.md", "b.TXT", "c.Md", "sub/dir/c.md", "x.txt", Path("sub") / "p.md", "./a.md", "../up/a.md", "a.b.md"],
)
def test_is_story_path_accepts(path: str | Path) -> None:
    assert is_story_path(path) is True


@pytest.mark.parametrize(
    "path",
    [
        ".hidden.md",
        "dir/.hidden/x.md",
        ".git/x.md",
        "sub/.x.md",
        "a.md~",
        "a.md.swp",
        ".a.md.swp",
        "a.md.swo",
        "x.tmp",
        "a.md.tmp",
        "x.part",
        "a.md.part",
        "x.markdown",
        "notes.json",
        "README",
        "md",
        "a.md.bak",
    ],
)
def test_is_story_path_rejects(path: str) -> None:
    assert is_story_path(path) is False
