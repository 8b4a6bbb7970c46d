"""The shipped sample config: it shows every key the parser accepts, and a path it leaves out resolves exactly as
the sample writes it (against the config file's folder), wherever the bot is started."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ArticlesConfig, Config, DiscordConfig, load_config

REPO_CONFIG = Path(__file__).parents[2] / "config" / "newsdesk.yaml"


def test_left_out_paths_resolve_like_the_samples_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config beside the sample's place (site/config/) that leaves articles.path and storage.url out reads the
    same folders as the sample's ``../articles`` and ``sqlite:///../data/newsdesk.db``, wherever the bot starts."""
    (tmp_path / "site" / "config").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    bare = tmp_path / "site" / "config" / "bare.yaml"
    bare.write_text("articles:\n  backfill: all\nstorage:\n  heartbeat_seconds: 5\n", encoding="utf-8")
    sample = tmp_path / "site" / "config" / "newsdesk.yaml"
    sample.write_text(REPO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    left_out, written = load_config(bare, env={}), load_config(sample, env={})
    assert left_out.articles.path == written.articles.path == tmp_path / "site" / "articles"
    assert left_out.storage_url == written.storage_url == f"sqlite:///{tmp_path / 'site' / 'data' / 'newsdesk.db'}"
    # A key present with no value means its default too.
    empty = tmp_path / "site" / "config" / "empty.yaml"
    empty.write_text("articles:\n  path:\nstorage:\n  url:\n", encoding="utf-8")
    assert load_config(empty, env={}).articles.path == written.articles.path
    assert load_config(empty, env={}).storage_url == written.storage_url
    # The environment's URL is a shell's: relative to the current folder, never to the file.
    assert load_config(bare, env={"NEWSDESK_STORAGE_URL": "sqlite:///x.db"}).storage_url == "sqlite:///x.db"


def test_the_sample_config_shows_every_key_it_accepts() -> None:
    """A newcomer sees every knob in config/newsdesk.yaml, set or commented out at its default (the digests'
    keys are shown by their example entries)."""
    from bot.config import AlertsConfig, KindOptions, SchedulerConfig
    from bot.metrics_config import MetricsConfig
    from bot.routes.route_rules import RULE_KEYS

    sample = REPO_CONFIG.read_text(encoding="utf-8")
    # A key starts a line (after "#", "-" and indentation) or follows "{" in a flow mapping.
    written = set(re.findall(r"(?:^[\s#-]*|\{\s*)([a-z_]+):", sample, re.MULTILINE))
    sections = {*Config.__slots__} - {"storage_url", "heartbeat_seconds"} | {"storage"}
    keys = {
        *sections,
        *ArticlesConfig.__slots__,
        "url",
        "heartbeat_seconds",
        *DiscordConfig.__slots__,
        *("id", "topics", "min_quality", "roles", "name", "guild", *KindOptions.__slots__, *RULE_KEYS),
        *AlertsConfig.__slots__,
        *SchedulerConfig.__slots__,
        *MetricsConfig.__slots__,
        "avatar",
    }
    assert not keys - written - {"exclude_providers", "categories"}, sorted(keys - written)
    # The two rules named in a comment beside their partners (providers, types).
    assert "exclude_providers: never these" in sample and "categories: its `category`" in sample
