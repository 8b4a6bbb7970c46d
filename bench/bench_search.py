"""Search benchmark: the /news search calls over 100,000 indexed stories.

Builds the database once (generated stories, indexed by the real pipeline) and keeps it for later runs, then
times CALLS calls each, with varying inputs, of: topic search, query search, provider search (first pages) and
topic autocomplete; plus, for information, later pages and a rebuild of the autocomplete catalog.

Inputs: topics in any case (10% a word start such as "learn", 10% unknown); queries of 1-3 words from the corpus
vocabulary, common words included (20% end in a word start such as "proto", 5% hostile text); providers in any
case (15% one word of the name); autocomplete prefixes of 0-4 characters.

Target: p99 under 20 ms for each of the four.
Usage: python bench/bench_search.py [--count 100000] [--db PATH] [--corpus DIR] [--calls 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gen_stories import PROVIDERS, TOPICS, write_stories  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.search_service import SearchRequest, SearchService  # noqa: E402
from bot.store import Store  # noqa: E402

TARGET_MS = 20.0
CACHE = Path("/tmp/newsdesk-bench")
# Words members might type: common ones (matching most stories), topic-ish and rarer ones, partial last words.
WORDS = tuple(
    "the and battery sensor network satellite launch budget survey parser privacy clinic storage protocol experts "  # noqa: SIM905
    "delay prototype coastal winter grid model training quantum climate energy robotics security open maintenance "
    "funding".split()
)
PARTIALS = ("batt", "sens", "satel", "proto", "clim", "secur", "maint", "surv")
HOSTILE = ('"unbalanced', "NEAR(a b", "a OR", "*", "title:x", "((", "😀 " * 50, "x" * 500, "AND OR NOT")


def build(db: Path, corpus: Path, count: int) -> None:
    if not corpus.exists() or not any(corpus.iterdir()):
        started = time.perf_counter()
        write_stories(corpus, count)
        print(f"generated {count} stories in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    config = parse_config(
        {
            "articles": {"path": str(corpus), "backfill": "none"},
            "storage": {"url": f"sqlite:///{db}"},
            "channels": [{"id": 1, "topics": "*"}],
        }
    )
    store = Store.open(config.storage_url)
    try:
        started = time.perf_counter()
        Pipeline(config, store).initial_sync()
        print(f"indexed into {db} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    finally:
        store.close()


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


def mixed_pages(rng: random.Random, n: int) -> list[SearchRequest]:
    out = []
    for request in topic_requests(rng, n // 3) + query_requests(rng, n // 3) + provider_requests(rng, n - 2 * (n // 3)):
        out.append(
            SearchRequest(topic=request.topic, query=request.query, provider=request.provider, page=rng.randint(2, 50))
        )
    rng.shuffle(out)
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


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=CACHE / "search.db", help="reused when it exists")
    parser.add_argument("--corpus", type=Path, default=CACHE / "corpus")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.corpus, args.count)
    store = Store.open(f"sqlite:///{args.db}")
    try:
        counts = store.counts()
        service = SearchService(store)
        rebuilds = timed(list(range(6)), lambda _: service.refresh(force=True), warmup=1)
        rng = random.Random(args.seed)
        results = {
            "topic search": timed(topic_requests(rng, args.calls), service.search),
            "query search": timed(query_requests(rng, args.calls), service.search),
            "provider search": timed(provider_requests(rng, args.calls), service.search),
            "topic autocomplete": timed(prefixes(rng, args.calls), service.topic_suggestions),
        }
        later = timed(mixed_pages(rng, args.calls), service.search)
    finally:
        store.close()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(f"database: {args.db} ({counts['stories']} stories, {counts['published']} published)")
    print(f"calls per kind: {args.calls} (after 50 warm-up calls)")
    summary: dict[str, dict[str, float]] = {}
    for name, ms in results.items():
        p50, p99 = statistics.median(ms), percentile(ms, 99)
        summary[name] = {"p50": p50, "p99": p99}
        print(
            f"{name:20s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {ms[-1]:6.1f} ms   "
            f"(target p99 < {TARGET_MS:.0f} ms)   {'OK' if p99 < TARGET_MS else 'MISSED'}"
        )
    print(f"{'pages 2-50 (info)':20s} p50 {statistics.median(later):6.2f} ms   p99 {percentile(later, 99):6.2f} ms")
    print(f"{'catalog rebuild':20s} p50 {statistics.median(rebuilds):6.0f} ms   (background, when stories change)")
    print(json.dumps(summary), file=sys.stderr)
    return 0 if all(v["p99"] < TARGET_MS for v in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
