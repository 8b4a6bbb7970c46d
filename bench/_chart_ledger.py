"""A sample ledger for the charts: synthetic stories, a week of deliveries over several channels (some failed,
some still waiting) and signal counts, written straight into a store. Shared by ``bench/bench_charts.py`` and
``docs/render_status_chart.py``; deterministic for a given seed."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from sqlalchemy import insert

from bench.gen_stories import generate_story_text
from bot.routes.planning import make_planner
from bot.store import FileParsed, Store
from bot.store.schema import deliveries
from bot.store.signal_tables import signal_counts
from bot.stories.parser import parse_story_text

CHANNELS = {
    100 + n: name for n, name in enumerate(["news", "world", "tech", "ai", "science", "markets", "sport", "culture"])
}
DAY = 86400.0


def fill(store: Store, *, stories: int, deliveries_count: int, now: float, seed: int = 0, days: float = 7) -> None:
    """``stories`` stories and ``deliveries_count`` ledger rows over the ``days`` before ``now``; busier by day."""
    items = []
    for i in range(stories):
        story = parse_story_text(generate_story_text(i, published=True), f"s{i}.md")
        data = json.dumps(story.to_dict(), sort_keys=True)
        items.append(FileParsed(f"s{i}.md", i, 100, f"sha{i}", story, data, hashlib.sha256(data.encode()).hexdigest()))
    planner = make_planner(lambda s: [], announce=True, on_unpublish="delete")
    for start in range(0, len(items), 1000):
        store.apply(items[start : start + 1000], planner)
    rng = random.Random(seed)
    channels = list(CHANNELS)
    weights = [8, 5, 4, 4, 2, 2, 1, 1]
    rows: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    used: set[tuple[int, int]] = set()
    while len(rows) < deliveries_count:
        story_id, channel = rng.randint(1, stories), rng.choices(channels, weights)[0]
        if (story_id, channel) in used:
            continue
        used.add((story_id, channel))
        # More in the daytime: a day's hour drawn around 14:00.
        day = rng.randrange(int(days)) if days >= 1 else 0
        planned = now - day * DAY - (now % DAY) + min(DAY - 1, max(0.0, rng.gauss(14 * 3600, 4 * 3600)))
        if planned >= now:
            planned = now - rng.uniform(0, 3600)
        wait = rng.expovariate(1 / 90)
        # One shape for every row (an executemany): sent_at and message_id stay None unless it was posted.
        row: dict[str, Any] = {
            "story_id": story_id,
            "channel_id": channel,
            "planned_at": planned,
            "updated_at": planned + wait,
            "sent_at": None,
            "message_id": None,
        }
        roll = rng.random()
        if planned + wait >= now or roll < 0.01:
            row["state"] = "post"
        elif roll < 0.03:
            row["state"] = "failed"
        else:
            row.update(state="sent", sent_at=planned + wait, message_id=len(rows) + 1)
            if rng.random() < 0.2:
                reactions, replies = int(rng.expovariate(1 / 6)), int(rng.expovariate(1 / 3))
                signals.append(
                    {
                        "story_id": story_id,
                        "channel_id": channel,
                        "reactions": reactions,
                        "replies": replies,
                        "updated_at": now,
                    }
                )
        rows.append(row)
    with store.engine.begin() as conn:
        conn.execute(insert(deliveries), rows)
        if signals:
            conn.execute(insert(signal_counts), signals)
