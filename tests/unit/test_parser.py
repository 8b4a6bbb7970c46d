# ruff: noqa: E501
"""Unit tests for bot.stories.parser: story files into Story objects, and the errors bad files give."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.stories.parser import StoryError, parse_story_text
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
