"""``newsdesk index | check | status | search``: commands that read story files or the database."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import yaml

from bot.cli.data import sqlite_file
from bot.config import Config
from bot.pipeline import Pipeline
from bot.store import Store
from bot.store.errors import StorageError, open_failure
from bot.stories.parser import StoryError, is_story_path, parse_story_text, split_front_matter

DEFAULT_MAX_BYTES = 1024 * 1024


def index(config: Config) -> int:
    store = Store.open(config.storage_url)
    pipeline = Pipeline(config, store)
    try:
        pipeline.initial_sync(progress=_progress_bar)
        counts = store.counts()
    finally:
        store.close()
    print(
        f"\nIndexed: {counts['stories']} stories, {counts['published']} published, "
        f"{counts['rejected']} files rejected, {counts['pending']} deliveries waiting for `newsdesk run`"
    )
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\rIndexing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files", end=end, file=sys.stderr)


def check(target: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """Lint one story file or every story file under a folder: one line per bad file, exit 1 if any.

    A story without ``published`` is only warned about: it is valid, but it stays unpublished, which surprises.
    """
    if target.is_file():
        paths, root = [target], target.parent
    elif target.is_dir():
        root = target
        paths = [p for p in sorted(target.rglob("*")) if p.is_file() and is_story_path(p.relative_to(target))]
    else:
        print(f"newsdesk: check: no such file or folder: {target}", file=sys.stderr)
        return 2
    bad = warned = 0
    for path in paths:
        rel = path.relative_to(root).as_posix()
        reason, warning = _check_file(path, rel, max_bytes)
        if reason:
            bad += 1
            print(reason)
        elif warning:
            warned += 1
            print(warning)
    print(f"{len(paths)} files checked, {bad} rejected, {warned} warnings", file=sys.stderr)
    return 1 if bad else 0


def _check_file(path: Path, rel: str, max_bytes: int) -> tuple[str | None, str | None]:
    """(why the file is rejected, or None; a warning about a valid file, or None)."""
    size = path.stat().st_size
    if size > max_bytes:
        return f"{rel}: file is {size} bytes, over the {max_bytes}-byte cap (articles.max_file_bytes)", None
    try:
        text = path.read_bytes().decode("utf-8")
        parse_story_text(text, rel)
    except UnicodeDecodeError as exc:
        return f"{rel}: not UTF-8 text (byte {exc.start})", None
    except StoryError as exc:
        return str(exc), None
    # The file parsed, so its front matter is a valid mapping: only the presence of the key is in question.
    front = yaml.load(split_front_matter(text, rel)[0], Loader=yaml.BaseLoader) or {}
    if "published" not in front:
        return None, f"{rel}: warning: no 'published' field, so it stays unpublished (add published: true to post it)"
    return None, None


def _require_database(config: Config) -> None:
    """Reading must never create an empty database: with no file yet, say so (naming storage.url) instead."""
    path = sqlite_file(config.storage_url)
    if path is None or path.exists():
        return
    missing = FileNotFoundError(errno.ENOENT, "no database here yet: run `newsdesk index` or `newsdesk run` first")
    raise StorageError(config.storage_url, str(path), open_failure(str(path), missing))


def status(config: Config) -> int:
    from bot.status import render_text, status_report

    _require_database(config)
    store = Store.open(config.storage_url)
    try:
        print(render_text(status_report(store, embargo=config.articles.embargo)))
    finally:
        store.close()
    return 0


def search(config: Config, topic: str | None, query: str | None, limit: int) -> int:
    from bot.search_service import SearchRequest, search_stories

    _require_database(config)
    store = Store.open(config.storage_url)
    try:
        request = SearchRequest(topic=topic, query=query, limit=limit)
        results = search_stories(store, request, embargo=config.articles.embargo)
    finally:
        store.close()
    if not results:
        print("No published stories match.")
        return 1
    for story in results:
        when = story.published_at.strftime("%Y-%m-%d") if story.published_at else "undated"
        provider = story.provider.name if story.provider else "unknown source"
        print(f"{when}  {story.title}  ({provider}; {', '.join(story.topics)})\n            {story.web_url}")
    return 0


def explain(config: Config, target: Path) -> int:
    """``newsdesk explain FILE``: the config routes' verdicts on one story, as ``/feed explain`` gives them."""
    from bot.render.feed_replies import explain_text
    from bot.routes.routing import RouteTable

    if not target.is_file():
        print(f"newsdesk: explain: no such file: {target}", file=sys.stderr)
        return 2
    reason, _warning = _check_file(target, target.name, config.articles.max_file_bytes)
    if reason:
        print(f"newsdesk: explain: {reason}", file=sys.stderr)
        return 2
    story = parse_story_text(target.read_text(encoding="utf-8"), target.name)
    routes = RouteTable(config.channels, timezone=config.scheduler.timezone, topic_colors=config.topic_colors)
    path = sqlite_file(config.storage_url)
    store = Store.open(config.storage_url) if path is None or path.exists() else None
    try:
        verdicts = routes.verdicts(story, routes.context(store.posts_since if store else None))
    finally:
        if store is not None:
            store.close()
    print(f"{story.title}")
    for line in explain_text(verdicts):
        print(f"  {line}")
    return 0
