"""Story files: front matter extraction, YAML loading and validation into :class:`bot.stories.story.Story`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

import yaml

from bot.render.text import as_utc
from bot.stories.story import Image, Provider, RelatedStory, Secured, Story, canonical_url

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

STORY_SUFFIXES = frozenset({".md", ".txt"})
_JUNK_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".part", "~")
# A legitimate story has a few hundred YAML nodes; aliases that expand past this are a bomb.
MAX_EXPANDED_NODES = 20_000
# Anchors and aliases start with & or * after whitespace or a flow indicator; URLs with & do not match.
_ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s\[{,:])[&*][^\s,\[\]{}]")
_FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


class StoryError(ValueError):
    """A story file that cannot be used. ``str()`` names the file and, where known, the field."""

    def __init__(self, path: str, reason: str, field: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.field = field
        super().__init__(f"{path}: {field}: {reason}" if field else f"{path}: {reason}")


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
    front, body = split_front_matter(text, path)
    if ("&" in front or "*" in front) and _ANCHOR_OR_ALIAS.search(front):
        _reject_alias_bombs(front, path)
    try:
        data = yaml.load(front, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise StoryError(path, f"broken YAML: {_yaml_reason(exc)}") from None
    if data is None:
        raise StoryError(path, "front matter is empty", "title")
    if not isinstance(data, Mapping):
        raise StoryError(path, f"front matter must be a mapping of fields, not {type(data).__name__}")
    return story_from_mapping(data, path, body)


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
        published_at=_datetime(data.get("publishedDateTime"), path, "publishedDateTime"),
        provider=_provider(data.get("provider"), path, "provider"),
        topics=_topics(data.get("topics"), path),
        images=_images(data.get("images"), path, "images"),
        related=_related(data.get("related"), path),
        quality=_int(data.get("quality"), path, "quality"),
        heat=_int(data.get("heat"), path, "heat"),
        published=_bool(data.get("published"), path, "published"),
        category=_text(data.get("category"), path, "category").strip(),
        kind=_text(data.get("type"), path, "type").strip(),
        body=body,
        secured=Secured(str(secured)) if secured is not None else None,
    )


def _reject_alias_bombs(front: str, path: str) -> None:
    """Count the nodes the document would expand to, following aliases, without building it."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, size] per open collection
    try:
        for event in yaml.parse(front, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                stack[-1][1] += sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                stack[-1][1] += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                stack.append([event.anchor, 1])
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, size = stack.pop()
                if anchor:
                    sizes[anchor] = size
                stack[-1][1] += size
            if stack[-1][1] > MAX_EXPANDED_NODES or sum(s[1] for s in stack) > MAX_EXPANDED_NODES:
                raise StoryError(path, f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb)")
    except yaml.YAMLError as exc:
        raise StoryError(path, f"broken YAML: {_yaml_reason(exc)}") from None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    # The front matter text starts with the newline that ends the '---' line, so its line numbers are the file's
    # (marks count from zero).
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def _text(value: Any, path: str, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | date):
        return str(value)
    raise StoryError(path, f"expected text, got {_kind(value)}", field)


def _int(value: Any, path: str, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise StoryError(path, "expected a whole number, got true/false", field)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 2**62:
        return round(value)
    if isinstance(value, str):
        try:
            return round(float(value.strip()))
        except (ValueError, OverflowError):
            pass
    raise StoryError(path, f"expected a whole number, got {value!r:.40}", field)


def _bool(value: Any, path: str, field: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0", ""):
        return value.strip().lower() in ("true", "yes", "1")
    raise StoryError(path, f"expected true or false, got {value!r:.40}", field)


def _datetime(value: Any, path: str, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise StoryError(path, f"expected an ISO 8601 date-time, got {value!r:.40}", field) from None
    else:
        raise StoryError(path, f"expected an ISO 8601 date-time, got {_kind(value)}", field)
    # A time without a zone is taken as UTC, the convention of the feeds these files come from.
    return as_utc(parsed)


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
                published_at=_datetime(item.get("publishedDateTime"), path, f"{where}.publishedDateTime"),
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
