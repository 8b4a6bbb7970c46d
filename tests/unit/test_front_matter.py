"""Front matter without the YAML library's surprises (issue 17.6): dates are read from text by the fields that
hold them, values the library refuses and deep nesting are one file's error, and every date form read before
reads the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from bot.stories.front_yaml import load_front, make_loader
from bot.stories.parser import StoryError, split_front_matter
from tests.unit.test_parser import SEED_FILE, SEED_TEXT, parse, parse_error

# --- dates are parsed from text (issue 17.6) ---------------------------------------------------------------

# Every form the YAML library turned into a date before, and ISO forms that only quoted strings reached.
DATE_FORMS = [
    "2020-02-21",
    "2020-02-21T17:08:00Z",
    "2020-02-21t17:08:00Z",
    "2020-02-21 17:08:00",
    "2020-02-21  17:08:00",
    "2020-02-21T17:08:00.5Z",
    "2020-02-21T17:08:00.123456789+02:00",
    "2020-02-21T7:08:00-05:30",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-14 21:59:43.10 +02",
    "'2020-02-21T17:08'",
    "'20200221T170800Z'",
    "'2020-02-21T17:08:00+0200'",
]


def _old_reading(value: str) -> datetime:
    """What the parser made of a value before: PyYAML's timestamps, else ``fromisoformat`` on the text."""
    loaded = yaml.safe_load(f"v: {value}")["v"]
    if isinstance(loaded, str):
        loaded = datetime.fromisoformat(loaded.strip().replace("Z", "+00:00"))
    elif not isinstance(loaded, datetime):
        loaded = datetime(loaded.year, loaded.month, loaded.day, tzinfo=UTC)
    return loaded.replace(tzinfo=UTC) if loaded.tzinfo is None else loaded.astimezone(UTC)


@pytest.mark.parametrize("value", DATE_FORMS)
def test_every_date_form_accepted_before_reads_the_same(value: str) -> None:
    story = parse(f"title: T\npublishedDateTime: {value}\nrelated:\n  - title: R\n    publishedDateTime: {value}")
    assert story.published_at == _old_reading(value)
    assert story.related[0].published_at == story.published_at


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-2-1", datetime(2020, 2, 1, tzinfo=UTC)),
        ("2020-02-21t17:08:00z", datetime(2020, 2, 21, 17, 8, tzinfo=UTC)),
    ],
)
def test_short_dates_and_a_lower_case_zone_are_read_too(value: str, expected: datetime) -> None:
    # Text the YAML library did not take for a date, and fromisoformat refused: one rule for every spelling now.
    assert parse(f"title: T\npublishedDateTime: {value}").published_at == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30",
        "2026-13-01",
        "'2026-02-30'",
        "2026-02-29T10:00:00Z",
        "2026-01-05 24:00:00",
        "2026-01-05T10:61:00Z",
        "2026-01-05T10:00:60Z",
        "2026-01-05T10:00:00+24:00",
        "0000-01-01",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:00:00-05:00",
        "!!timestamp 2026-02-31",
    ],
)
def test_an_impossible_date_is_a_story_error_naming_the_field(value: str) -> None:
    error = parse_error(f"title: T\npublishedDateTime: {value}")
    assert error.field == "publishedDateTime"
    assert "not a real date" in str(error)
    nested = parse_error(f"title: T\nrelated:\n  - title: R\n    publishedDateTime: {value}")
    assert nested.field == "related[0].publishedDateTime"


@pytest.mark.parametrize("value", ["2026.5", "2026", "[2026-01-01]", "{at: 2026-01-01}"])
def test_a_date_that_is_no_text_is_a_story_error(value: str) -> None:
    assert parse_error(f"title: T\npublishedDateTime: {value}").field == "publishedDateTime"


@pytest.mark.parametrize(
    ("front", "field", "expected"),
    [
        ("title: 2026-13-01", "title", "2026-13-01"),
        ("title: 2024-01-05T10:00:00Z", "title", "2024-01-05T10:00:00Z"),
        ("title: T\ncategory: 2026-02-30", "category", "2026-02-30"),
        ("title: T\nexcerpt: 2026-02-30 25:00:00", "excerpt", "2026-02-30 25:00:00"),
        ("title: yes", "title", "yes"),
        ("title: T\ncategory: off", "category", "off"),
        ("title: T\nsomethingElse: 2026-02-30", "title", "T"),
    ],
)
def test_dates_and_yaml_1_1_booleans_in_text_fields_stay_as_written(front: str, field: str, expected: str) -> None:
    assert getattr(parse(front), field) == expected


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("title: T\nquality: " + "9" * 5000, "a YAML value cannot be read"),
        ("title: T\nheat: !!float warm", "a YAML value cannot be read"),
        ("title: T\nx: !!python/name:os.system ''", "broken YAML"),
        ("title: !!binary '@@@@'", "title: expected text, got bytes"),
        ("title: T\n? [a]\n: b", "broken YAML"),
        ("title: T\nx: " + "[" * 10_000 + "]" * 10_000, "broken YAML"),
    ],
)
def test_values_the_yaml_library_refuses_are_story_errors(front: str, reason: str) -> None:
    assert reason in str(parse_error(front))


@pytest.mark.parametrize("value", ["99999999999999999999", "'1e300'", "-99999999999999999999.0"])
def test_whole_numbers_beyond_any_meaning_are_refused(value: str) -> None:
    assert parse_error(f"title: T\nquality: {value}").field == "quality"


def test_the_pure_python_loader_refuses_deep_nesting_without_a_recursion_error() -> None:
    # PyYAML without libyaml recurses once per level; libyaml stops at 1,000 levels by itself.
    loader = make_loader(yaml.SafeLoader)
    with pytest.raises(StoryError, match="nested too deeply"):
        load_front("x: " + "[" * 10_000 + "]" * 10_000, "deep.md", loader)
    data = load_front(split_front_matter(SEED_TEXT, SEED_FILE)[0], SEED_FILE, loader)
    assert data == load_front(split_front_matter(SEED_TEXT, SEED_FILE)[0], SEED_FILE)
    assert data["publishedDateTime"] == "2020-02-21T17:08:00Z" and data["published"] is False
