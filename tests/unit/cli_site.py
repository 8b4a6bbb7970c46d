"""A story site under ``tmp_path`` for the command-line tests: config/ with relative paths, articles/, and an
environment without a token (``clean_env``, autouse where imported)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

PUBLISHED = """---
title: Chip makers race to build AI accelerators
webUrl: https://news.example.com/{n}
publishedDateTime: 2026-11-24T08:15:00Z
topics: [AI]
published: true
---
Body.
"""
NO_PUBLISHED_FIELD = """---
title: A draft without a published field
webUrl: https://news.example.com/draft
topics: [AI]
---
"""
CONFIG = """
articles:
  path: ../articles
  backfill: all
storage:
  url: {url}
channels:
  - id: 1234
    name: news
    topics: "*"
"""
ENV_KEYS = ("DISCORD_TOKEN", "DISCORD_API_BASE", "DISCORD_GATEWAY_URL", "NEWSDESK_STORAGE_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No token unless a test sets one; ``.env`` loading writes os.environ, so every key is restored after."""
    for key in ENV_KEYS:
        monkeypatch.setenv(key, "")  # recorded first, so the delete (and anything .env adds) is undone
        monkeypatch.delenv(key)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative paths must not depend on the working folder
    yield


def make_site(tmp_path: Path, url: str = "sqlite:///../data/newsdesk.db") -> Path:
    """config/newsdesk.yaml with relative paths, articles/ with two published stories and one draft."""
    (tmp_path / "config").mkdir(exist_ok=True)
    articles = tmp_path / "articles"
    articles.mkdir(exist_ok=True)
    for n in (1, 2):
        (articles / f"story{n}.md").write_text(PUBLISHED.format(n=n), encoding="utf-8")
    (articles / "draft.md").write_text(NO_PUBLISHED_FIELD, encoding="utf-8")
    config = tmp_path / "config" / "newsdesk.yaml"
    config.write_text(CONFIG.format(url=url), encoding="utf-8")
    return config


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]
