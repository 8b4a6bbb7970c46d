"""``newsdesk index | check | status | search``: commands that read story files or the database."""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

from bot.cli.data import sqlite_file
from bot.config import Config
from bot.pipeline import Pipeline
from bot.store import Store
from bot.store.errors import StorageError, open_failure
from bot.stories.file_reader import read_file
from bot.stories.parser import load_story_data, story_warnings
from bot.stories.safe_open import open_story
from bot.stories.scan_items import FileFailed, FileParsed
from bot.stories.scanner import iter_story_files
from bot.stories.story import Story

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

    Each file gets the verdict the bot would give it (the same reader), so one bad file never stops the rest.
    Valid stories get warnings for values surely not meant: no ``published`` (or one that is not true/false, so
    unpublished), a ``quality`` or ``heat`` outside 0-100.
    """
    if target.is_dir():
        prefix = len(str(target)) + 1
        files = [(target, entry.path[prefix:].replace(os.sep, "/")) for entry in iter_story_files(str(target))]
        files.sort(key=lambda pair: pair[1])
    elif target.exists() or target.is_symlink():
        files = [_named_file(target)]
    else:
        print(f"newsdesk: check: no such file or folder: {target}", file=sys.stderr)
        return 2
    bad = warned = 0
    first_with: dict[str, str] = {}  # canonical webUrl -> the first file that has it
    for root, rel in files:
        reason, warnings, story = _check_file(root, rel, max_bytes)
        if reason:
            bad += 1
            print(reason)
        if story is not None and story.web_url:
            other = first_with.setdefault(story.key, rel)
            if other != rel:
                warnings.append(
                    f"{rel}: warning: same webUrl as {other} ({story.key}): one story, defined by the file written last"
                )
        for warning in warnings:
            warned += 1
            print(warning)
    print(f"{len(files)} files checked, {bad} rejected, {warned} warnings", file=sys.stderr)
    return 1 if bad else 0


def _named_file(target: Path) -> tuple[Path, str]:
    """A file named on the command line is read where it really is: the user chose it, symlink or not."""
    real = Path(os.path.realpath(target))
    return real.parent, real.name


def _check_file(root: Path, rel: str, max_bytes: int) -> tuple[str | None, list[str], Story | None]:
    """(why the file is rejected, or None; warnings about a valid file; the story)."""
    item = read_file(str(root), rel, None, max_bytes, True)
    if isinstance(item, FileFailed):
        return item.error, [], None
    if not isinstance(item, FileParsed):
        return f"{rel}: vanished while being checked", [], None
    # The warnings need the values as written (published: yes reads as unpublished), so the front matter is
    # loaded once more; a file changed in between gets no warnings rather than stale ones.
    try:
        fd, _st = open_story(os.path.realpath(root), rel)
        with os.fdopen(fd, "rb") as handle:
            data, _body = load_story_data(handle.read(max_bytes + 1).decode("utf-8"), rel)
    except (OSError, ValueError):  # changed since (gone, unreadable, not text, broken): the verdict above stands
        return None, [], item.story
    return None, story_warnings(data, item.story, rel), item.story


def _require_database(config: Config) -> None:
    """Reading must never create an empty database: with no file yet, say so (naming storage.url) instead."""
    path = sqlite_file(config.storage_url)
    if path is None or path.exists():
        return
    missing = FileNotFoundError(errno.ENOENT, "no database here yet: run `newsdesk index` or `newsdesk run` first")
    raise StorageError(config.storage_url, str(path), open_failure(str(path), missing))


def status(config: Config, chart: Path | None = None) -> int:
    """The report as text; with ``chart``, the 24-hour chart ``/newsdesk status`` attaches, written there too."""
    from bot.render.status import render_text
    from bot.status import channel_names, status_report

    _require_database(config)
    store = Store.open(config.storage_url)
    try:
        names = channel_names(config.channels)
        report = status_report(store, embargo=config.articles.embargo, names=names)
        print(render_text(report))
        if chart is not None:
            return _write_chart(store, chart, names, config.scheduler.timezone)
    finally:
        store.close()
    return 0


def _write_chart(store: Store, path: Path, names: dict[int, str], timezone: str) -> int:
    from zoneinfo import ZoneInfo

    from bot.charts.build import status_chart

    made = status_chart(store, names=names, tz=ZoneInfo(timezone))
    try:
        path.write_bytes(made.png)
    except OSError as exc:
        print(f"newsdesk: status --chart: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"Chart: {path} ({len(made.png) // 1024} KB). {made.summary}")
    return 0


def search(config: Config, topic: str | None, query: str | None, limit: int) -> int:
    from bot.search.service import SearchRequest, search_stories

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
    from bot.render.feed_replies import explain_text, held_until
    from bot.routes.routing import RouteTable

    if not target.exists() and not target.is_symlink():
        print(f"newsdesk: explain: no such file: {target}", file=sys.stderr)
        return 2
    root, rel = _named_file(target)
    reason, _warnings, story = _check_file(root, rel, config.articles.max_file_bytes)
    if reason or story is None:
        # The reason names the file as the folder's reader sees it; the operator named it as ``target``.
        print(f"newsdesk: explain: {target}: {(reason or '').removeprefix(f'{rel}: ')}", file=sys.stderr)
        return 2
    routes = RouteTable(config.channels, timezone=config.scheduler.timezone, topic_colors=config.topic_colors)
    path = sqlite_file(config.storage_url)
    store = Store.open(config.storage_url) if path is None or path.exists() else None
    try:
        live_since = None
        if store is not None:
            # The archive rule needs when each route began and when the stored story went live.
            routes.load(store.newsroom)
            live_since = store.live_since(story.key)
        context = routes.context(store.ledger.posts_since if store else None, live_since)
        verdicts = routes.verdicts(story, context, [r for r in routes.routes if r.source == "config"])
    finally:
        if store is not None:
            store.close()
    print(f"{story.title}")
    for line in explain_text(verdicts, held_until(story, embargo=config.articles.embargo, now=time.time())):
        print(f"  {line}")
    return 0
