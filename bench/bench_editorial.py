"""Editorial load (issue 17): the real bot against the fake Discord, a folder of 5,000 published stories dated in
the past, started with ``backfill: none`` (nothing may be posted); then at once 300 new stories and a rewrite of
1,000 of the old files with one word added to the excerpt.

Measures: how many of the 300 new stories were posted and when (the first and the last one after the change, the
rate against the channel's limit), how many of the 1,000 old ones were planned (the bot's ledger, read after it
stopped) and posted, PATCH and DELETE requests (the old stories were never posted: none expected), 429s, and the
bot's peak memory (its process tree, bench/_memory.py).
Targets: 0 POSTs at the first start; all new stories posted at >= 90% of the channel's limit; 0 old stories
planned or posted; 0 PATCH, 0 DELETE.
Stops by itself once every new story is out and nothing is pending, or at --timeout (default: long enough for
the new stories at the channel's limit, 1 message/s for Discord's 5 per 5 s: about 400 s).
Usage: python bench/bench_editorial.py [--old 5000] [--new 300] [--rewrite 1000] [--rate 5/5|none] [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import CHANNEL, TOKEN, FakeDiscord, machine, start_bot  # noqa: E402
from bench._memory import TreePeak, TreeSampler  # noqa: E402
from bench.gen_stories import write_stories  # noqa: E402

STORY_NUMBER = re.compile(r"/story-(\d+)$")  # the generator's webUrl ends in /story-{i}
PENDING = ("post", "edit", "delete")


@dataclass
class Run:
    watching: str  # the bot's "Watching ..." line after its first start
    first_posts: int  # POSTs seen by then
    changed: float  # when the change was made (epoch seconds)
    waited: float  # seconds watched after it
    timeout: float
    rows: list[tuple[int, str]]  # the ledger at the end: (story number, state)
    requests: dict[str, list[dict[str, Any]]]
    out: dict[int, float]  # story number -> its first POST's time
    count_429: int
    memory: TreePeak


def story_number(url: str) -> int:
    match = STORY_NUMBER.search(url)
    return int(match.group(1)) if match else -1


def requests_to_channel(fake: FakeDiscord) -> dict[str, list[dict[str, Any]]]:
    """The fake's recorded requests on CHANNEL's messages, by method (successful ones only)."""
    prefix = f"/channels/{CHANNEL}/messages"
    out: dict[str, list[dict[str, Any]]] = {"POST": [], "PATCH": [], "DELETE": []}
    for request in fake.requests:
        if request["path"].startswith(prefix) and request["method"] in out and request["status"] < 300:
            out[request["method"]].append(request)
    return out


def posted(fake: FakeDiscord) -> dict[int, float]:
    """Story number -> arrival time of its first POST to CHANNEL."""
    seen: dict[int, float] = {}
    for request in requests_to_channel(fake)["POST"]:
        if request["path"].endswith("/messages") and request["json"] and request["json"].get("embeds"):
            seen.setdefault(story_number(request["json"]["embeds"][0].get("url", "")), request["time"])
    return seen


def ledger(db: Path) -> list[tuple[int, str]]:
    """(story number, state) of every ledger row, read from the bot's SQLite database."""
    with sqlite3.connect(db, timeout=10) as conn:
        rows = conn.execute("SELECT s.web_url, d.state FROM deliveries d JOIN stories s ON s.id = d.story_id")
        return [(story_number(url), state) for url, state in rows]


def change_at_once(articles: Path, staging: Path, old: int, new: int, rewrite: int) -> None:
    """Prepare 300 new files and 1,000 rewritten ones aside, then move them all in, interleaved, each atomically."""
    moves: list[tuple[Path, Path]] = []
    for path in write_stories(staging / "new", new, start=old, published=True):
        moves.append((path, articles / path.relative_to(staging / "new")))
    step = max(1, old // rewrite)
    for i in range(0, step * rewrite, step):
        target = articles / f"{i % 100:03d}" / f"story_{i:07d}.md"
        text = target.read_text(encoding="utf-8").replace('excerpt: "', 'excerpt: "Updated ', 1)
        source = staging / "rewrite" / target.name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(text, encoding="utf-8")
        moves.append((source, target))
    random.Random(17).shuffle(moves)
    for source, target in moves:
        target.parent.mkdir(exist_ok=True)
        os.replace(source, target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=int, default=5000)
    parser.add_argument("--new", type=int, default=300)
    parser.add_argument("--rewrite", type=int, default=1000)
    parser.add_argument("--rate", default="5/5", help="the fake's per-channel limit, messages/seconds, or none")
    parser.add_argument("--timeout", type=float, help="seconds after the change before giving up")
    args = parser.parse_args()
    rate = None if args.rate == "none" else (int(args.rate.split("/")[0]), float(args.rate.split("/")[1]))
    allowed = rate[0] / rate[1] if rate else None
    timeout = args.timeout or (60 + 1.15 * args.new / allowed if allowed else 120)
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-editorial-") as tmp,
        FakeDiscord(token=TOKEN, channel_rate=rate) as fake,
    ):
        workdir = Path(tmp)
        write_stories(workdir / "articles", args.old, published=True)
        db = workdir / "data" / "newsdesk.db"
        bot = start_bot(workdir, fake)
        assert bot.proc is not None
        sampler = TreeSampler(bot.proc.pid).start()
        try:
            watching = bot.wait_for_log("Watching ", timeout=300)
            first_posts = len(requests_to_channel(fake)["POST"])
            change_at_once(bot.articles, workdir / "staging", args.old, args.new, args.rewrite)
            changed = time.time()
            wanted = set(range(args.old, args.old + args.new))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if wanted <= posted(fake).keys() and not any(s in PENDING for _, s in ledger(db)):
                    break
                time.sleep(1.0)
            waited = time.time() - changed
        finally:
            bot.stop()
            memory = sampler.stop()
        run = Run(
            watching, first_posts, changed, waited, timeout, ledger(db), requests_to_channel(fake), posted(fake),
            fake.count_429, memory,
        )  # fmt: skip
    return report(args, rate, run)


def report(args: argparse.Namespace, rate: tuple[int, float] | None, run: Run) -> int:
    misses: list[str] = []

    def verdict(ok: bool, name: str) -> str:
        if not ok:
            misses.append(name)
        return "OK" if ok else "MISS"

    new_times = sorted(t - run.changed for n, t in run.out.items() if n >= args.old)
    old_posted = sum(1 for n in run.out if 0 <= n < args.old)
    old_planned = len({n for n, _ in run.rows if 0 <= n < args.old})
    new_planned = len({n for n, _ in run.rows if n >= args.old})
    pending = re.search(r"(\d+) deliveries pending", run.watching)
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.2f}")
    limit = f"{rate[0]} messages / {rate[1]:.0f} s" if rate else "none"
    print(f"folder: {args.old} published stories dated in the past; backfill none; channel limit at the fake: {limit}")
    print(
        f"first start: {run.first_posts} POSTs, {pending.group(1) if pending else '?'} deliveries pending (target 0)   "
        f"{verdict(run.first_posts == 0 and pending is not None and pending.group(1) == '0', 'first start')}"
    )
    print(
        f"change: {args.new} new stories and {args.rewrite} old files rewritten (one word added to the excerpt), "
        f"moved in at once; watched for {run.waited:.0f} s (limit {run.timeout:.0f} s)"
    )
    if new_times:
        span = new_times[-1] - new_times[0]
        speed = (len(new_times) - 1) / span if span > 0 else float("inf")
        allowed = rate[0] / rate[1] if rate else None
        share = f" = {100 * speed / allowed:.0f}% of the limit (target >= 90%)" if allowed else ""
        print(
            f"new stories: {new_planned} planned, {len(new_times)} of {args.new} posted; first {new_times[0]:.1f} s, "
            f"last {new_times[-1]:.1f} s after the change; {speed:.2f} posts/s{share}   "
            f"{verdict(len(new_times) == args.new and (allowed is None or speed >= 0.9 * allowed), 'new stories')}"
        )
    else:
        print(f"new stories: {new_planned} planned, 0 of {args.new} posted   {verdict(False, 'new stories')}")
    print(
        f"old stories: {old_planned} planned, {old_posted} posted (target 0)   "
        f"{verdict(old_planned == old_posted == 0, 'old stories')}"
    )
    patches, deletes = len(run.requests["PATCH"]), len(run.requests["DELETE"])
    print(f"PATCH {patches}, DELETE {deletes} (target 0)   {verdict(patches == deletes == 0, 'edits')}")
    print(f"POSTs in all: {len(run.requests['POST'])}; 429 responses: {run.count_429}")
    memory = run.memory
    print(
        f"bot peak memory: {memory.tree_pss_mb:.0f} MB PSS for the process and its {len(memory.child_hwm_mb)} "
        f"children (summed RSS {memory.tree_rss_mb:.0f} MB; main {memory.root_hwm_mb:.0f} MB)"
    )
    if misses:
        print(f"MISSED: {', '.join(misses)}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
