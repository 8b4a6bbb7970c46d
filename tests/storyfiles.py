"""Writing story files in the seed's format, for unit and end-to-end tests."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

from bot.store import FileParsed
from bot.stories.parser import parse_story_text


def story_fields(n: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "category": "news",
        "title": f"Story number {n}",
        "excerpt": f"The excerpt of story {n}, with enough words to be searchable.",
        "publishedDateTime": f"2026-11-{1 + n % 25:02d}T{n % 24:02d}:00:00Z",
        "webUrl": f"https://news.example/2026/story-{n}",
        "type": "article",
        "quality": 50,
        "heat": 5,
        "published": True,
        "provider": {"name": "Example News", "domain": "news.example"},
        "topics": ["AI"],
        "images": [{"url": f"https://news.example/img/{n}.jpg", "width": 1200, "height": 800, "title": "lead"}],
        "related": [
            {
                "title": f"Related coverage {n}",
                "webUrl": f"https://other.example/{n}",
                "provider": {"name": "Other Paper", "domain": "other.example"},
            }
        ],
        "secured": "U0VDUkVUU0VDUkVU;c2VjcmV0",
    }
    fields.update(overrides)
    return fields


def story_text(n: int, **overrides: Any) -> str:
    front = yaml.safe_dump(story_fields(n, **overrides), sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n"


def write_story(folder: Path, name: str, n: int, **overrides: Any) -> Path:
    """Write atomically (temp file + rename), as a careful editor or pipeline would."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(story_text(n, **overrides), encoding="utf-8")
    os.replace(tmp, path)
    return path


def parsed_file(path: str, n: int, **overrides: Any) -> FileParsed:
    """The scan item for a story file, without a file: for tests that feed the store directly."""
    story = parse_story_text(story_text(n, **overrides), path)
    data = json.dumps(story.to_dict(), sort_keys=True)
    fingerprint = hashlib.sha256(data.encode()).hexdigest()
    return FileParsed(path, n, 100, f"sha-{path}-{n}-{overrides}", story, data, fingerprint)
