"""Regeneration benchmark (issue 17, point 5): a nightly rewrite of every file of an indexed folder.

A folder of N generated stories (bench/gen_stories.py) and its database are kept under ``bench/out/regen-N/``
between runs. 1,000 published stories are marked posted to a channel in the ledger (once), so that an edit
planned by mistake would show. Then two rewrites of EVERY file, each followed by a reconcile (the bot's rescan:
the Pipeline's ``Scanner.reconcile`` through the real Store) in a child process of its own:
  same bytes  - every file written again with the bytes it holds (a new mtime, nothing else)
  new layout  - every file written again with the same data in another YAML layout: the generator's block lists,
                JSON-quoted strings and field order, or the same data re-dumped with keys sorted, flow-style
                lists and mappings, 4-space indentation and plain or single-quoted strings (toggled each run)
Measured for each: seconds and files/s, peak memory of the process and its parse workers (bench/_memory.py),
the ledger before and after (rows, versions, pending actions; the ApplyResult's ``pending``), story rows
rewritten, and /news searches run on another thread meanwhile (a query every 50 ms, the slowest one).
Beside them: the bare parse rate and the full index of the same folder (bench/bench_index.py's children; the
full index is measured when the database is built, or again with --reindex).

Targets: posts = 0 and edits = 0 (no ledger row added or re-planned, nothing pending); each rewrite absorbed at
the bare parse rate or better (files/s); every /news search answered within Discord's 3 s interaction window.
Usage: python bench/bench_regen.py [--count 100000] [--backend sqlite|postgresql] [--reindex]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_index  # noqa: E402
from bench._memory import TreeSampler  # noqa: E402

if TYPE_CHECKING:
    from bot.store import Store

OUT = ROOT / "bench" / "out"
CHANNEL = 1
POSTED = 1000  # stories marked posted in the ledger: the ones an edit would be planned for
SAMPLE = 200  # files whose parsed data is compared before and after a layout change
SEARCH_GAP = 0.05  # seconds between /news searches during a reconcile
SEARCH_TARGET = 3.0  # Discord's interaction window
GENERATED, REDUMPED = "generated", "re-dumped"


# -- the child: one reconcile of the indexed folder ------------------------------------------------------------


def _ledger(store: Any) -> dict[str, list[int]]:
    """Ledger rows by state: [rows, sum of versions] (a version is bumped by every change of plan)."""
    from sqlalchemy import func, select

    from bot.store.schema import deliveries

    query = select(deliveries.c.state, func.count(), func.sum(deliveries.c.version)).group_by(deliveries.c.state)
    with store.engine.connect() as conn:
        return {state: [int(n), int(v or 0)] for state, n, v in conn.execute(query)}


def _mark_posted(store: Store) -> None:
    """Once per database: the newest published stories as sent to CHANNEL, as if the bot had posted them."""
    from bot.routes.planning import post
    from bot.store.records import DeliveryState

    if _ledger(store):
        return
    keys = store.ledger.record([post(story_id, [CHANNEL]) for story_id, _ in store.latest_published(POSTED)])
    for n, key in enumerate(keys):
        delivery = store.ledger.read(key)
        assert delivery is not None
        store.ledger.settle(delivery, DeliveryState.SENT, message_id=10**17 + n, payload_hash="bench")


class _Searches:
    """/news searches on another thread while the reconcile runs, each one timed."""

    def __init__(self, store: Any) -> None:
        from bench.bench_search import WORDS
        from bot.search.service import SearchService

        self.words = WORDS
        self.service = SearchService(store)
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="searches", daemon=True)

    def _run(self) -> None:
        from bot.search.service import SearchRequest

        n = 0
        while not self._stop.wait(SEARCH_GAP):
            started = time.perf_counter()
            self.service.search(SearchRequest(query=self.words[n % len(self.words)]))
            self.times.append(time.perf_counter() - started)
            n += 1

    def __enter__(self) -> _Searches:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child_reconcile(corpus: Path, url: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot.config import parse_config
    from bot.pipeline import Pipeline
    from bot.store import Store
    from bot.store.schema import stories

    config = parse_config(
        {
            "articles": {"path": str(corpus), "backfill": "none"},
            "storage": {"url": url},
            "channels": [{"id": CHANNEL, "topics": "*"}],
        }
    )
    store = Store.open(config.storage_url)
    try:
        pipeline = Pipeline(config, store)
        _mark_posted(store)
        before = _ledger(store)
        began = time.time()
        sampler = TreeSampler().start()
        with _Searches(store) as searches:
            started = time.perf_counter()
            result, report = pipeline.scanner.reconcile(announce=True)
            seconds = time.perf_counter() - started
        tree = sampler.stop()
        after = _ledger(store)
        with store.engine.connect() as conn:
            rewritten = conn.scalar(select(func.count()).where(stories.c.updated_at >= began)) or 0
    finally:
        store.close()
    times = sorted(searches.times)
    return {
        "seconds": seconds,
        "files": report.files,
        "changed": report.changed,
        "parsed": report.parsed,
        "failed": report.failed,
        "pending": len(result.pending),
        "before": before,
        "after": after,
        "rewritten": rewritten,
        "tree_pss_mb": tree.tree_pss_mb,
        "tree_rss_mb": tree.tree_rss_mb,
        "main_mb": tree.root_hwm_mb,
        "workers": len(tree.child_hwm_mb),
        "worker_mb": tree.largest_child_mb,
        "searches": len(times),
        "search_p50": times[len(times) // 2] if times else 0.0,
        "search_max": times[-1] if times else 0.0,
    }


def run_child(corpus: Path, url: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(corpus), url]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- the rewrites ----------------------------------------------------------------------------------------------


def story_paths(corpus: Path) -> list[Path]:
    from bot.stories.scanner import iter_story_files

    return sorted(Path(entry.path) for entry in iter_story_files(str(corpus)))


def rewrite_same(paths: list[Path]) -> None:
    """Every file written again, in place, with the bytes it holds: only its mtime changes."""
    for path in paths:
        path.write_bytes(path.read_bytes())


def _redump(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    front, _sep, body = text.removeprefix("---\n").partition("\n---\n")
    data = yaml.load(front, Loader=_TextDates)
    dumped = yaml.dump(
        data, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=None, indent=4, width=1 << 20,
        allow_unicode=True,
    )  # fmt: skip
    path.write_text(f"---\n{dumped}---\n{body}", encoding="utf-8")


class _TextDates(yaml.CSafeLoader):
    """A C loader that keeps dates as the strings they are written as, so re-dumping them (quoted, as strings)
    leaves the text the bot parses unchanged."""


_TextDates.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def rewrite_layout(corpus: Path, count: int, paths: list[Path], layout: str) -> str:
    """Every file written again with the same data in the other layout; returns the new layout."""
    if layout == REDUMPED:
        from bench.gen_stories import write_stories

        write_stories(corpus, count)  # deterministic: the generator's own text of the same stories
        return GENERATED
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        pool.map(_redump, paths, chunksize=500)
    return REDUMPED


def parsed_data(paths: list[Path]) -> list[dict[str, Any]]:
    from bot.stories.parser import parse_story_text

    return [parse_story_text(p.read_text(encoding="utf-8"), p.name).to_dict() for p in paths]


# -- the cache under bench/out/ --------------------------------------------------------------------------------


@contextlib.contextmanager
def database(backend: str, base: Path, count: int, reindex: bool) -> Iterator[tuple[str, bool]]:
    """(URL, empty?) of the benchmark's database: an empty one when there is none yet or ``reindex``."""
    if backend == "sqlite":
        path = base / "sqlite.db"
        if reindex:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}", not path.exists()
        return
    from bench._pg import CachedPostgres

    server = CachedPostgres(OUT / "pg").start()
    try:
        name = f"regen_{count}"
        if reindex:
            server.drop_database(name)
        fresh = not server.has_database(name)
        yield server.create_database(name) if fresh else server.url(name), fresh
    finally:
        server.stop()


def prepare_corpus(base: Path, count: int, state: dict[str, Any]) -> Path:
    corpus = base / "corpus"
    # A rewrite interrupted half-way leaves a mixed folder (layout "rewriting"): start again from a clean one.
    if state.get("count") != count or state.get("layout") not in (GENERATED, REDUMPED) or not corpus.exists():
        from bench.gen_stories import write_stories

        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        write_stories(corpus, count)
        print(f"generated {count} stories in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        state.clear()
        state.update(count=count, layout=GENERATED)
    return corpus


# -- the report ------------------------------------------------------------------------------------------------


def verdict(ok: bool, misses: list[str], name: str) -> str:
    if not ok:
        misses.append(name)
    return "OK" if ok else "MISS"


def report_pass(name: str, run: dict[str, Any], bare_rate: float, misses: list[str]) -> None:
    rate = run["files"] / run["seconds"]
    before, after = run["before"], run["after"]
    pending = {state: after.get(state, [0, 0])[0] for state in ("post", "edit", "delete")}
    added = sum(n for n, _ in after.values()) - sum(n for n, _ in before.values())
    replanned = sum(v for _, v in after.values()) - sum(v for _, v in before.values())
    quiet = not any(pending.values()) and added == replanned == run["pending"] == 0
    print(f"{name}:")
    print(
        f"  reconcile {run['seconds']:.1f}s, {rate:.0f} files/s for {run['files']} files ({run['changed']} changed, "
        f"{run['parsed']} parsed, {run['failed']} rejected); bare parse rate x{rate / bare_rate:.2f} (target >= 1)"
        f"   {verdict(rate >= bare_rate, misses, name + ': rate')}"
    )
    print(
        f"  peak memory {run['tree_pss_mb']:.0f} MB PSS for the process and its {run['workers']} children "
        f"(summed RSS {run['tree_rss_mb']:.0f} MB; main {run['main_mb']:.0f} MB, largest worker "
        f"{run['worker_mb']:.0f} MB)"
    )
    print(
        f"  posts planned {pending['post']}, edits {pending['edit']}, deletes {pending['delete']}; ledger rows "
        f"added {added}, re-planned {replanned}; ApplyResult.pending {run['pending']} (target 0 each)"
        f"   {verdict(quiet, misses, name + ': actions')}"
    )
    print(f"  story rows rewritten {run['rewritten']} (of {run['files']}; nothing changed in them)")
    print(f"  ledger before {before}, after {after}")
    print(
        f"  /news meanwhile: {run['searches']} searches, median {run['search_p50'] * 1000:.0f} ms, slowest "
        f"{run['search_max'] * 1000:.0f} ms (target < {SEARCH_TARGET:.0f} s)"
        f"   {verdict(run['search_max'] < SEARCH_TARGET, misses, name + ': /news')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--reindex", action="store_true", help="index the folder again (and measure it)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_reconcile(Path(args.child[0]), args.child[1])))
        return 0

    base = OUT / f"regen-{args.count}"
    state_file = base / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    corpus = prepare_corpus(base, args.count, state)
    index_key = f"index_{args.backend}"
    with database(args.backend, base, args.count, args.reindex or index_key not in state) as (url, fresh):
        if fresh:
            state[index_key] = bench_index.run_child("index", str(corpus), url) | {"layout": state["layout"]}
            state_file.write_text(json.dumps(state))
        run_child(corpus, url)  # catches up with a rewrite an interrupted run left unreconciled; marks posts
        bare = bench_index.run_child("bare", str(corpus))
        paths = story_paths(corpus)
        started = time.perf_counter()
        rewrite_same(paths)
        print(f"rewrote {len(paths)} files, same bytes, in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        same = run_child(corpus, url)
        sample = paths[:: max(1, len(paths) // SAMPLE)]
        data_before, size_before = parsed_data(sample), sum(p.stat().st_size for p in sample)
        started, old_layout = time.perf_counter(), state["layout"]
        state["layout"] = "rewriting"  # an interrupted rewrite leaves a mixed folder: regenerated next time
        state_file.write_text(json.dumps(state))
        state["layout"] = rewrite_layout(corpus, args.count, paths, old_layout)
        state_file.write_text(json.dumps(state))
        print(
            f"rewrote {len(paths)} files, {state['layout']}, in {time.perf_counter() - started:.1f}s", file=sys.stderr
        )
        data_after, size_after = parsed_data(sample), sum(p.stat().st_size for p in sample)
        layout = run_child(corpus, url)
    index = state[index_key]
    misses: list[str] = []
    bare_rate = bare["files"] / bare["seconds"]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, backend {args.backend}"
    )
    print(f"files: {int(bare['files'])} ({POSTED} of them marked posted to a channel in the ledger)")
    print(f"bare yaml.load (C):    {bare['seconds']:.1f}s ({bare_rate:.0f} files/s)")
    print(
        f"full index:            {index['seconds']:.1f}s ({index['stories'] / index['seconds']:.0f} stories/s), peak "
        f"{index['tree_pss_mb']:.0f} MB PSS (summed RSS {index['tree_rss_mb']:.0f} MB)"
        f"{'' if fresh else ' (measured when the database was built; --reindex measures it again)'}"
    )
    report_pass("same bytes", same, bare_rate, misses)
    same_data = data_before == data_after
    print(
        f"layout {old_layout} -> {state['layout']}: {len(sample)} sampled files, {size_before} -> {size_after} bytes, "
        f"parsed data identical   {verdict(same_data and size_before != size_after, misses, 'layout check')}"
    )
    report_pass("new layout", layout, bare_rate, misses)
    if misses:
        print(f"MISSED: {', '.join(misses)}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
