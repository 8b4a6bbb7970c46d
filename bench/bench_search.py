"""Search benchmark: the /news search calls over N generated stories (1,000,000 for issue #10), on SQLite or
PostgreSQL.

Builds the database once and keeps it under ``bench/out/`` for later runs: N generated stories, parsed by the
bot's own parser and written through the store's own bulk path (``Store.apply``, the batch path the scanner
uses), so the tables, the full-text index (FTS5 or tsvector), topics and catalog counts are exactly what the bot
builds; only no story file is written to disk. Then times CALLS calls each, with varying inputs, of: topic,
query and provider search (first pages), the same walked by the /news buttons to pages 2-50 (next from the
page before: a seek, never an OFFSET), topic autocomplete, and a catalog refresh after a change.

Inputs: topics in any case (10% a word start such as "learn", 10% unknown); queries of 1-3 words from the corpus
vocabulary, common words included (20% end in a word start such as "proto", 5% hostile text); providers in any
case (15% one word of the name); autocomplete prefixes of 0-4 characters.

Target: p99 under 20 ms for each search, first and deep pages.
Usage: python bench/bench_search.py [--backend sqlite|postgresql] [--count 100000] [--url URL] [--calls 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gen_stories import PROVIDERS, TOPICS, generate_story_text  # noqa: E402
from bot.routes.planning import make_planner  # noqa: E402
from bot.search.service import SearchPage, SearchRequest, SearchService, page_request  # noqa: E402
from bot.store import FileParsed, Store  # noqa: E402
from bot.stories.parser import parse_story_text  # noqa: E402
from bot.stories.story import Story  # noqa: E402

TARGET_MS = 20.0
OUT = ROOT / "bench" / "out"
BATCH = 2000
TEMPLATES = 50_000
# Words members might type: common ones (matching most stories), topic-ish and rarer ones, partial last words.
WORDS = tuple(
    "the and battery sensor network satellite launch budget survey parser privacy clinic storage protocol experts "  # noqa: SIM905
    "delay prototype coastal winter grid model training quantum climate energy robotics security open maintenance "
    "funding".split()
)
PARTIALS = ("batt", "sens", "satel", "proto", "clim", "secur", "maint", "surv")
HOSTILE = ('"unbalanced', "NEAR(a b", "a OR", "*", "title:x", "((", "😀 " * 50, "x" * 500, "AND OR NOT")


def parsed_template(t: int) -> Story:
    return parse_story_text(generate_story_text(t), f"t{t}.md")


def parsed(i: int, template: Story) -> FileParsed:
    """Story ``i`` as the scanner would hand it to the store (the same JSON and hashes): the parsed generated
    story ``i % TEMPLATES`` as the file of story ``i`` (its own URL, hence key, and a date a few minutes on).

    Parsing YAML costs ~1 ms a story: a million would take most of an hour here, so each generated story stands
    for COUNT / TEMPLATES files; words, topics and providers keep the generator's frequencies.
    """
    variant = i // TEMPLATES
    when = template.published_at + timedelta(minutes=7 * variant) if template.published_at else None
    url = f"https://news{i % 50}.example/{when.year if when else 2026}/{i}/story-{i}"
    story = replace(template, key=url, web_url=url, published_at=when)
    data_json = json.dumps(story.to_dict(), sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(data_json.encode()).hexdigest()
    return FileParsed(f"{i % 100:02d}/story-{i:07d}.md", 1, len(data_json), fingerprint, story, data_json, fingerprint)


def load(url: str, count: int) -> None:
    """Index ``count`` stories through ``Store.apply`` (the scanner's batch path) in batches."""
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        templates = pool.map(parsed_template, range(min(count, TEMPLATES)), chunksize=500)
    print(f"parsed {len(templates)} generated stories in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    store = Store.open(url)
    planner = make_planner(lambda story: [], announce=False, on_unpublish="delete")
    try:
        for start in range(0, count, BATCH):
            stop = min(count, start + BATCH)
            store.apply([parsed(i, templates[i % TEMPLATES]) for i in range(start, stop)], planner)
            if stop % (50 * BATCH) == 0:
                rate = stop / (time.perf_counter() - started)
                print(f"  loaded {stop} stories ({rate:.0f}/s)", file=sys.stderr)
        if store.backend.name == "postgresql":
            # What autovacuum does soon after a bulk load anyway: the planner's statistics.
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        store.close()
    print(f"loaded {count} stories in {time.perf_counter() - started:.0f}s", file=sys.stderr)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(URL, engine version) of the benchmark database, built first if it is not there yet."""
    if args.backend == "sqlite":
        path = OUT / f"search-sqlite-{args.count}.db"
        if not path.exists():
            OUT.mkdir(parents=True, exist_ok=True)
            load(f"sqlite:///{path}.part", args.count)
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{path}.part{suffix}").exists():
                    os.replace(f"{path}.part{suffix}", f"{path}{suffix}")
        yield f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version}"
        return
    if args.url:
        yield args.url, "PostgreSQL (given --url)"
        return
    from bench._pg import CachedPostgres

    server = CachedPostgres(OUT / "pg").start()
    try:
        name = f"search_{args.count}"
        if not server.has_database(name):
            server.drop_database(f"{name}_part")  # left by an interrupted build
            url = server.create_database(f"{name}_part")
            load(url, args.count)
            server.rename_database(f"{name}_part", name)
        yield server.url(name), f"PostgreSQL {server.version()}"
    finally:
        server.stop()


def cased(rng: random.Random, text: str) -> str:
    return rng.choice((text, text.lower(), text.upper(), text.title()))


def topic_requests(rng: random.Random, n: int) -> list[SearchRequest]:
    # Mostly known topics in any case; some typed partly ("learn"), some unknown.
    out = []
    for _ in range(n):
        roll, topic = rng.random(), rng.choice(TOPICS)
        text = cased(rng, topic) if roll < 0.8 else topic.split()[-1][:5] if roll < 0.9 else f"unknown{rng.random()}"
        out.append(SearchRequest(topic=text))
    return out


def query_requests(rng: random.Random, n: int) -> list[SearchRequest]:
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.05:
            text = rng.choice(HOSTILE)
        else:
            text = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2, 3))))
            if roll < 0.25:
                text += " " + rng.choice(PARTIALS)
        out.append(SearchRequest(query=text))
    return out


def provider_requests(rng: random.Random, n: int) -> list[SearchRequest]:
    out = []
    for _ in range(n):
        name = rng.choice(PROVIDERS)[0]
        out.append(SearchRequest(provider=cased(rng, name) if rng.random() < 0.85 else name.split()[1]))
    return out


def prefixes(rng: random.Random, n: int) -> list[str]:
    return [cased(rng, rng.choice(TOPICS))[: rng.randint(0, 4)] for _ in range(n)]


def timed(calls: list[Any], fn: Callable[[Any], object], warmup: int = 50) -> list[float]:
    for item in calls[:warmup]:
        fn(item)
    times = []
    for item in calls:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def walked(service: SearchService, requests: list[SearchRequest], calls: int, last: int = 50) -> list[float]:
    """Times of the "next" button from page 1 on, up to page ``last`` (or the last page), over fresh requests
    until ``calls`` pages were timed."""
    times: list[float] = []
    for request in requests:
        page: SearchPage = service.search(request)
        while page.page < min(page.pages, last) and len(times) < calls:
            following = page_request(page, page.page + 1)
            started = time.perf_counter()
            page = service.search(following)
            times.append((time.perf_counter() - started) * 1000)
        if len(times) >= calls:
            break
    return sorted(times)


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--url", help="PostgreSQL: an existing, already loaded database instead of a cached server")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help="comma-separated words: time only the kinds whose name has one (e.g. query)")
    args = parser.parse_args()
    with database(args) as (url, engine):
        store = Store.open(url)
        try:
            counts = store.counts()
            service = SearchService(store)
            refreshes = timed(list(range(20)), lambda _: service.refresh(force=True), warmup=2)
            rng = random.Random(args.seed)
            # Every kind's inputs are drawn, in this order, whichever kinds are timed: --only keeps the same inputs.
            topics, queries, providers = (
                topic_requests(rng, args.calls),
                query_requests(rng, args.calls),
                provider_requests(rng, args.calls),
            )
            topic_walks, query_walks = topic_requests(rng, args.calls), query_requests(rng, 20 * args.calls)
            provider_walks, typed = provider_requests(rng, args.calls), prefixes(rng, args.calls)
            kinds: dict[str, Callable[[], list[float]]] = {
                "topic search": lambda: timed(topics, service.search),
                "query search": lambda: timed(queries, service.search),
                "provider search": lambda: timed(providers, service.search),
                "topic pages 2-50": lambda: walked(service, topic_walks, args.calls),
                "query pages 2-20": lambda: walked(service, query_walks, args.calls),
                "provider pages 2-50": lambda: walked(service, provider_walks, args.calls),
                "topic autocomplete": lambda: timed(typed, service.topic_suggestions),
            }
            only = [w.strip() for w in (args.only or "").split(",") if w.strip()]
            results = {name: run() for name, run in kinds.items() if not only or any(w in name for w in only)}
        finally:
            store.close()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, {engine}"
    )
    print(f"database: {args.backend}, {counts['stories']} stories, {counts['published']} published")
    print(f"calls per kind: {args.calls} (after 50 warm-up calls; pages: timed 'next' clicks)")
    summary: dict[str, dict[str, float]] = {}
    for name, ms in results.items():
        p50, p99 = statistics.median(ms), percentile(ms, 99)
        summary[name] = {"p50": p50, "p99": p99, "n": len(ms)}
        print(
            f"{name:20s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {ms[-1]:6.1f} ms   n {len(ms):5d}   "
            f"(target p99 < {TARGET_MS:.0f} ms)   {'OK' if p99 < TARGET_MS else 'MISSED'}"
        )
    print(f"{'catalog refresh':20s} p50 {statistics.median(refreshes):6.2f} ms   (reads the kept counts)")
    print(json.dumps(summary), file=sys.stderr)
    return 0 if all(v["p99"] < TARGET_MS for v in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
