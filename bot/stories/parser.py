"""Story files: front matter extraction, YAML loading and validation into :class:`bot.stories.story.Story`."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from bot.stories.dates import parse_datetime
from bot.stories.front_yaml import load_front
from bot.stories.story import Image, Provider, RelatedStory, Secured, Story, StoryError, canonical_url

STORY_SUFFIXES = frozenset({".md", ".txt"})
_JUNK_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".part", "~")
_FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)
# Whole numbers beyond this are no quality or size anyone meant, and would overflow the database's integers.
_MAX_WHOLE = 2**53
# Only these publish (after trimming, any case): the YAML boolean true, or the text "true".
PUBLISHED_TRUE = "true"
_UNPUBLISHED_QUIETLY = (False, "false")


def is_story_name(name: str) -> bool:
    """True for a file name (no folders) that is ``*.md``/``*.txt``, not hidden and not an editor leftover."""
    if not name or name[0] == "." or name.endswith(_JUNK_SUFFIXES):
        return False
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in STORY_SUFFIXES


def is_story_path(path: str | PurePath) -> bool:
    """True for ``*.md``/``*.txt`` files that are not hidden, not in a hidden folder and not editor leftovers."""
    # Plain string work: the reconciliation scan calls this for every file in the folder.
    text = path.as_posix() if isinstance(path, PurePath) else str(path).replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    if not is_story_name(text.rsplit("/", 1)[-1]):
        return False
    return not (
        (text.startswith(".") or "/." in text)
        and any(part.startswith(".") and part not in (".", "..") for part in text.split("/"))
    )


def split_front_matter(text: str, path: str) -> tuple[str, str]:
    """Return (yaml, body). The file must open with a ``---`` line and close the block with another."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.removeprefix("\ufeff").lstrip("\n")
    opening = _FRONT_MATTER_FENCE.match(stripped)
    if not opening:
        raise StoryError(path, "no front matter: the file must start with a '---' line")
    start = opening.end()
    position = start
    while True:
        # Scanning for "\n---" is much cheaper than a multiline regex over the whole file.
        position = stripped.find("\n---", position)
        if position < 0:
            raise StoryError(path, "front matter is not closed: no second '---' line (file still being written?)")
        line_end = stripped.find("\n", position + 1)
        line = stripped[position + 1 : line_end if line_end >= 0 else len(stripped)]
        if line.rstrip(" \t") == "---":
            body = stripped[line_end + 1 :] if line_end >= 0 else ""
            return stripped[start:position], body.strip("\n")
        position += 4


def parse_story_text(text: str, path: str) -> Story:
    """Parse a whole story file's text. ``path`` (relative to the articles folder) names it in errors."""
    data, body = load_story_data(text, path)
    return story_from_mapping(data, path, body)


def load_story_data(text: str, path: str) -> tuple[Mapping[str, Any], str]:
    """The front matter as a mapping, and the body."""
    front, body = split_front_matter(text, path)
    data = load_front(front, path)
    if data is None:
        raise StoryError(path, "front matter is empty", "title")
    if not isinstance(data, Mapping):
        raise StoryError(path, f"front matter must be a mapping of fields, not {type(data).__name__}")
    return data, body


def story_warnings(data: Mapping[str, Any], story: Story, path: str) -> list[str]:
    """What ``newsdesk check`` warns about in a valid story: values that are surely not what the editor meant."""
    warnings = []
    if "published" not in data:
        warnings.append(
            f"{path}: warning: no 'published' field, so it stays unpublished (add published: true to post it)"
        )
    elif not story.published and _lowered(data["published"]) not in _UNPUBLISHED_QUIETLY:
        warnings.append(
            f"{path}: warning: published: {_shown(data['published'])} is not true, so it stays unpublished "
            '(only true or "true" publish)'
        )
    for field, value in (("quality", story.quality), ("heat", story.heat)):
        # heat -1 is the feeds' "unknown"
        if value is not None and not 0 <= value <= 100 and not (field == "heat" and value == -1):
            warnings.append(f"{path}: warning: {field} {value} is outside 0-100 (ranking clamps it)")
    return warnings


def _shown(value: Any) -> str:
    return "null" if value is None else f"{value!r:.40}"


def _lowered(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def story_from_mapping(data: Mapping[str, Any], path: str, body: str = "") -> Story:
    title = _text(data.get("title"), path, "title").strip()
    if not title:
        raise StoryError(path, "missing: every story needs a title", "title")
    web_url = _text(data.get("webUrl"), path, "webUrl").strip()
    try:
        key = canonical_url(web_url) if web_url.lower().startswith(("http://", "https://")) else ""
    except ValueError as exc:
        raise StoryError(path, f"not a valid URL: {exc}", "webUrl") from None
    secured = data.get("secured")
    return Story(
        key=key or f"file:{PurePath(path).as_posix()}",
        title=title,
        excerpt=_text(data.get("excerpt"), path, "excerpt").strip(),
        web_url=web_url,
        published_at=parse_datetime(data.get("publishedDateTime"), path, "publishedDateTime"),
        provider=_provider(data.get("provider"), path, "provider"),
        topics=_topics(data.get("topics"), path),
        images=_images(data.get("images"), path, "images"),
        related=_related(data.get("related"), path),
        quality=_int(data.get("quality"), path, "quality"),
        heat=_int(data.get("heat"), path, "heat"),
        published=_published(data.get("published"), path),
        category=_text(data.get("category"), path, "category").strip(),
        kind=_text(data.get("type"), path, "type").strip(),
        body=body,
        secured=Secured(str(secured)) if secured is not None else None,
    )


def _text(value: Any, path: str, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise StoryError(path, f"expected text, got {_kind(value)}", field)


def _int(value: Any, path: str, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise StoryError(path, "expected a whole number, got true/false", field)
    number: float | None = None
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value.strip())
    # NaN fails the comparison, so it lands in the error below with infinities and huge values.
    if number is not None and abs(number) <= _MAX_WHOLE:
        return number if isinstance(number, int) else round(number)
    raise StoryError(path, f"expected a whole number, got {value!r:.40}", field)


def _published(value: Any, path: str) -> bool:
    """Only true or "true" publish; anything else is unpublished, never posted by accident (``check`` warns)."""
    if isinstance(value, list | Mapping):
        raise StoryError(path, f"expected true or false, got {_kind(value)}", "published")
    return value is True or _lowered(value) == PUBLISHED_TRUE


def _provider(value: Any, path: str, field: str) -> Provider | None:
    if value is None:
        return None
    if isinstance(value, str | int | float):
        name = str(value).strip()
        return Provider(name) if name else None
    if not isinstance(value, Mapping):
        raise StoryError(path, f"expected name and domain, got {_kind(value)}", field)
    name = _text(value.get("name"), path, f"{field}.name").strip()
    domain = _text(value.get("domain"), path, f"{field}.domain").strip()
    if not name and not domain:
        return None
    return Provider(name or domain, domain)


def _topics(value: Any, path: str) -> tuple[str, ...]:
    items = _list(value, path, "topics")
    seen: dict[str, str] = {}
    for index, item in enumerate(items):
        topic = " ".join(_text(item, path, f"topics[{index}]").split())
        if topic and topic.casefold() not in seen:
            seen[topic.casefold()] = topic
    return tuple(seen.values())


def _images(value: Any, path: str, field: str) -> tuple[Image, ...]:
    images = []
    for index, item in enumerate(_list(value, path, field)):
        where = f"{field}[{index}]"
        if isinstance(item, str):
            images.append(Image(url=item.strip()))
            continue
        if not isinstance(item, Mapping):
            raise StoryError(path, f"expected an image with a url, got {_kind(item)}", where)
        url = _text(item.get("url"), path, f"{where}.url").strip()
        if url:
            images.append(
                Image(
                    url=url,
                    width=_int(item.get("width"), path, f"{where}.width"),
                    height=_int(item.get("height"), path, f"{where}.height"),
                    title=_text(item.get("title"), path, f"{where}.title").strip(),
                )
            )
    return tuple(images)


def _related(value: Any, path: str) -> tuple[RelatedStory, ...]:
    related = []
    for index, item in enumerate(_list(value, path, "related")):
        where = f"related[{index}]"
        if not isinstance(item, Mapping):
            raise StoryError(path, f"expected a story with a title, got {_kind(item)}", where)
        title = _text(item.get("title"), path, f"{where}.title").strip()
        url = _text(item.get("webUrl"), path, f"{where}.webUrl").strip()
        if not title and not url:
            continue
        related.append(
            RelatedStory(
                title=title or url,
                web_url=url,
                excerpt=_text(item.get("excerpt"), path, f"{where}.excerpt").strip(),
                published_at=parse_datetime(item.get("publishedDateTime"), path, f"{where}.publishedDateTime"),
                provider=_provider(item.get("provider"), path, f"{where}.provider"),
                quality=_int(item.get("quality"), path, f"{where}.quality"),
                images=_images(item.get("images"), path, f"{where}.images"),
            )
        )
    return tuple(related)


def _list(value: Any, path: str, field: str) -> Iterable[Any]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return value
    if isinstance(value, str | int | float | Mapping):
        return (value,)
    raise StoryError(path, f"expected a list, got {_kind(value)}", field)


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list"}
    return names.get(type(value), type(value).__name__)
