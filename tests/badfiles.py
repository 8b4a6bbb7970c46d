"""A folder of hostile story files beside good ones, for every entry point that reads the folder (issue 17.6).

Each bad file is rejected on its own, with its name and a reason; each good one is a story like any other.
"""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import pytest
import yaml

from tests.storyfiles import story_text, write_story


def _front(lines: str, title: str = "Hostile") -> str:
    url = f"https://bad.example/{zlib.crc32(lines.encode())}"
    return f"---\ntitle: {title}\nwebUrl: {url}\npublished: true\n{lines}\n---\n"


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise("abcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines)


# name -> (file text, a piece of the reason it must be rejected with)
BAD_FILES: dict[str, tuple[str, str]] = {
    "feb30.md": (_front("publishedDateTime: 2026-02-30"), "publishedDateTime: not a real date"),
    "month13.md": (_front("publishedDateTime: 2026-13-01T10:00:00Z"), "publishedDateTime: not a real date"),
    "hour25.md": (_front("publishedDateTime: 2026-01-05 25:00:00"), "publishedDateTime: not a real date"),
    "zone.md": (_front("publishedDateTime: 2026-01-05T10:00:00+25:00"), "publishedDateTime: not a real date"),
    "related_date.md": (
        _front("related:\n  - title: R\n    publishedDateTime: 2025-02-29"),
        "related[0].publishedDateTime: not a real date",
    ),
    "tagged_date.md": (_front("publishedDateTime: !!timestamp 2026-02-31"), "publishedDateTime: not a real date"),
    "float_date.md": (_front("publishedDateTime: 2026.5"), "publishedDateTime: expected an ISO 8601 date-time"),
    "huge_int.md": (_front("quality: " + "9" * 5000), "a YAML value cannot be read"),
    "big_quality.md": (_front("quality: 99999999999999999999999"), "quality: expected a whole number"),
    "tagged_int.md": (_front("heat: !!int warm"), "a YAML value cannot be read"),
    "python_tag.md": (_front("x: !!python/object/apply:os.system [echo hi]"), "broken YAML"),
    "binary.md": (_front("excerpt: !!binary aGVsbG8="), "excerpt: expected text, got bytes"),
    "set.md": (_front("topics: !!set {AI, Science}"), "topics: expected a list, got set"),
    "unhashable.md": (_front("? [a, b]\n: c"), "broken YAML"),
    "deep_flow.md": (_front("x: " + "[" * 10_000 + "]" * 10_000), "broken YAML"),
    "deep_block.md": (_front("x:\n  " + "- " * 10_000 + "a"), "broken YAML"),
    "bomb.md": (_front(_billion_laughs()), "alias bomb"),
    "not_utf8.md": ("", "not UTF-8"),  # written as bytes below
}
# Impossible dates in fields the story reads as text are no dates at all: these are good stories now.
GOOD_DATES_AS_TEXT = {"title_date.md": ("title", "2026-13-01"), "category_date.md": ("category", "2026-02-30")}


def write_bad_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (text, _reason) in BAD_FILES.items():
        if name == "not_utf8.md":
            (folder / name).write_bytes(b"---\ntitle: caf\xe9\n---\n")
        else:
            (folder / name).write_text(text, encoding="utf-8")


def write_good_files(folder: Path, first: int = 900) -> list[str]:
    """Good stories (published, topic AI, quality 50); returns their titles."""
    titles = []
    for offset, name in enumerate(("good_a.md", "good_b.md")):
        write_story(folder, name, first + offset)
        titles.append(f"Story number {first + offset}")
    for offset, (name, (field, value)) in enumerate(GOOD_DATES_AS_TEXT.items(), start=2):
        n = first + offset
        old = {"title": f"title: Story number {n}\n", "category": "category: news\n"}[field]
        (folder / name).write_text(story_text(n).replace(old, f"{field}: {value}\n"), encoding="utf-8")
        titles.append(value if field == "title" else f"Story number {n}")
    return titles


def yaml_trips_on(word: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A future surprise from the YAML library: ``yaml.load`` raises an error type nobody catches by name on a
    document holding ``word``, and reads every other document as usual."""
    real_load = yaml.load

    def load(stream: str, Loader: type) -> object:
        if word in stream:
            raise KeyError("the library tripped")
        return real_load(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "load", load)
