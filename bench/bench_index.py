"""Indexing benchmark: 100,000 generated stories.

Measures, each in its own child process so peak memory is its own:
  bare   - read every file and yaml.load(CSafeLoader) its front matter (the floor)
  index  - the full pipeline on an empty database (parse, validate, hash, SQLite + FTS5, or PostgreSQL with
           its tsvector index: a throw-away server from tests/pgserver.py unless --url names an empty database)
  rescan - a second reconciliation with nothing changed

Targets: index <= 1.5x bare; rescan < 3 s; peak memory of the indexing process with its parse workers (sampled
from /proc, bench/_memory.py) < 300 MB (SQLite), < 400 MB (PostgreSQL).
Usage: python bench/bench_index.py [--backend sqlite|postgresql] [--url URL] [--count N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._memory import TreeSampler  # noqa: E402


def child_bare(corpus: Path) -> dict[str, float]:
    import yaml

    started = time.perf_counter()
    count = 0
    for dirpath, _dirs, names in os.walk(corpus):
        for name in names:
            text = Path(dirpath, name).read_text(encoding="utf-8")
            front = text.split("\n---", 1)[0].removeprefix("---\n")
            yaml.load(front, Loader=yaml.CSafeLoader)
            count += 1
    return {"seconds": time.perf_counter() - started, "files": count}


def child_index(corpus: Path, url: str) -> dict[str, float]:
    from bot.config import parse_config
    from bot.pipeline import Pipeline
    from bot.store import Store

    config = parse_config(
        {
            "articles": {"path": str(corpus), "backfill": "none"},
            "storage": {"url": url},
            "channels": [{"id": 1, "topics": "*"}],
        }
    )
    sampler = TreeSampler().start()  # this process and its parse workers, from /proc (bench/_memory.py)
    store = Store.open(config.storage_url)
    pipeline = Pipeline(config, store)
    started = time.perf_counter()
    pipeline.initial_sync()
    index_seconds = time.perf_counter() - started
    tree = sampler.stop()
    index_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # What this bench used to report as "per worker": the largest child ever waited for, whatever it was.
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    started = time.perf_counter()
    _result, report = pipeline.scanner.reconcile(announce=True)
    rescan_seconds = time.perf_counter() - started
    counts = store.counts()
    store.close()
    return {
        "seconds": index_seconds,
        "rescan_seconds": rescan_seconds,
        "rescan_changed": report.changed,
        "stories": counts["stories"],
        "rejected": counts["rejected"],
        "peak_rss_mb": index_rss,
        "rusage_children_mb": children_rss,
        "sampled_main_mb": tree.root_hwm_mb,
        "sampled_workers": len(tree.child_hwm_mb),
        "sampled_worker_mb": tree.largest_child_mb,
        "tree_rss_mb": tree.tree_rss_mb,
        "tree_pss_mb": tree.tree_pss_mb,
        "peak_rss_mb_after_rescan": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, help="reuse (or create) the generated corpus here")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL: an empty database to index into, instead of a throw-away server")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_bare(Path(rest[0])) if kind == "bare" else child_index(Path(rest[0]), rest[1])
        print(json.dumps(result))
        return 0

    from bench.gen_stories import write_stories

    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        corpus = args.corpus or Path(tmp, "corpus")
        if not corpus.exists() or not any(corpus.iterdir()):
            started = time.perf_counter()
            write_stories(corpus, args.count)
            print(f"generated {args.count} stories in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        bare = run_child("bare", str(corpus))
        if args.backend == "sqlite":
            index = run_child("index", str(corpus), f"sqlite:///{Path(tmp, 'bench.db')}")
        elif args.url:
            index = run_child("index", str(corpus), args.url)
        else:
            from tests.pgserver import PostgresServer

            with PostgresServer() as server:
                index = run_child("index", str(corpus), server.create_database("bench_index"))
    limit = 300 if args.backend == "sqlite" else 400
    ratio = index["seconds"] / bare["seconds"]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, backend {args.backend}"
    )
    print(f"files:                 {int(bare['files'])}")
    print(f"bare yaml.load (C):    {bare['seconds']:.1f}s ({bare['files'] / bare['seconds']:.0f} files/s)")
    print(f"full index:            {index['seconds']:.1f}s ({index['stories'] / index['seconds']:.0f} stories/s)")
    print(f"index / bare:          {ratio:.2f}x   (target <= 1.5x)   {'OK' if ratio <= 1.5 else 'MISSED'}")
    print(
        f"rescan, no change:     {index['rescan_seconds']:.2f}s (target < 3s)   "
        f"{'OK' if index['rescan_seconds'] < 3 else 'MISSED'}"
    )
    # The children: the parse workers and multiprocessing's resource tracker.
    # The ingest process's own tree, sampled from /proc every 50 ms: its peak, each parse worker's peak, and the
    # tree's largest total (PSS: a page shared by the processes counts once, split between them).
    total = index["tree_pss_mb"]
    print(
        f"peak memory, index:    {total:.0f} MB for the process and its {index['sampled_workers']:.0f} children "
        f"(PSS; summed RSS {index['tree_rss_mb']:.0f} MB) (target < {limit} MB)   {'OK' if total < limit else 'MISSED'}"
    )
    print(
        f"  main peak RSS {index['sampled_main_mb']:.0f} MB (getrusage: {index['peak_rss_mb']:.0f} MB), largest "
        f"parse worker {index['sampled_worker_mb']:.0f} MB (getrusage RUSAGE_CHILDREN, the largest child of any "
        f"kind: {index['rusage_children_mb']:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
