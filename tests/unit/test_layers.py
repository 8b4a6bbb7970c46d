"""Dependencies point one way: the core renders without discord.py, and config needs no feature machinery.

Each module is imported in a fresh interpreter, so what it pulls in is exactly what its own imports need.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PURE_RENDERING = (
    # the search engine is core too: /news only translates its pages
    "bot.search.service",
    "bot.render.text",
    "bot.render.embeds",
    "bot.render.news_pages",
    "bot.status",
    "bot.render.status",
    "bot.render.feed_replies",
    "bot.digest.render",
    "bot.digest.replies",
)


def imported_by(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("module", PURE_RENDERING)
def test_rendering_needs_no_discord_library_and_no_cogs(module: str) -> None:
    pulled = imported_by(module)
    assert not {m for m in pulled if m.split(".")[0] in ("discord", "cogs")}


def test_config_needs_only_low_level_helpers() -> None:
    pulled = {m for m in imported_by("bot.config") if m.startswith("bot.")}
    # The digests: section is parsed by the pure digest declaration (spec and schedule), never by the engine.
    assert pulled <= {
        "bot.config",
        # the checked values and the discord: and alerts: sections, split out of bot.config to keep it small
        "bot.config_values",
        "bot.config_discord",
        "bot.config_alerts",
        "bot.options",
        "bot.redact",
        "bot.timezones",
        # on_unpublish and backfill are the planner's own enums; the planner is pure and knows only the story model.
        "bot.routes.planning",
        # channels[].include_words, max_age, style...: the pure route rules, parsed where routing reads them.
        "bot.routes.route_rules",
        "bot.stories.story",
        "bot.routes",
        "bot.stories",
        # digests: is parsed by the digest's declaration (spec and schedule), which sits below both config and the
        # digest feature (bot.digest, the engine, is never imported by config).
        "bot.digest_spec",
        "bot.digest_schedule",
        # discord.shard_count/shard_ids are checked by the shard plan, which is pure (no imports of ours).
        "bot.sharding",
        # metrics.port/host: the pure settings module beside the metrics server (imports only bot.options).
        "bot.metrics_config",
        # personal: and signals:, the plain settings of members' follows and of the community's counts.
        "bot.config_members",
    }


def test_parse_workers_import_neither_the_store_nor_discord() -> None:
    # The first index spawns parse workers that import bot.stories.file_reader: each library costs RAM per worker.
    pulled = {m.split(".")[0] for m in imported_by("bot.stories.file_reader")}
    assert not pulled & {"sqlalchemy", "alembic", "psycopg", "discord", "aiohttp", "apscheduler"}
    assert {m for m in imported_by("bot.stories.file_reader") if m.startswith("bot.")} <= {
        "bot.stories",
        "bot.render",
        "bot.stories.dates",
        "bot.stories.file_reader",
        "bot.stories.front_yaml",
        "bot.stories.parser",
        "bot.stories.safe_open",
        "bot.stories.scan_items",
        "bot.stories.story",
        "bot.render.text",
    }


def test_the_tree_has_no_import_cycle_and_keeps_sqlalchemy_in_the_storage_floors() -> None:
    # The same check ``make lint`` runs (tools/check_layers.py; its own tests are in test_layers_check.py).
    done = subprocess.run([sys.executable, str(REPO / "tools" / "check_layers.py")], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "")


def test_the_search_engine_imports_nothing_of_the_store() -> None:
    # The store imports the search floor (its connection seam, its indexing); the reverse would close a circle.
    pulled = {m for m in imported_by("bot.search.service") | imported_by("bot.search.titles") if m.startswith("bot.")}
    assert {m.split(".")[1] for m in pulled} == {"search", "stories"}
