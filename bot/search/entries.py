"""The catalog behind /news autocomplete: topics and providers with their story counts, and how typed text
matches them (pure; ``SearchService`` builds and holds the catalog)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

CHOICES = 25  # Discord shows at most 25 autocomplete choices


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    norm: str
    count: int
    spellings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalog:
    """Topic and provider counts over published stories, held in memory so autocomplete never waits on SQL."""

    topics: tuple[Entry, ...] = ()
    providers: tuple[Entry, ...] = ()
    version: tuple[Any, ...] = ()
    built_at: float = 0.0
    by_norm: dict[str, Entry] = field(default_factory=dict)
    by_provider: dict[str, Entry] = field(default_factory=dict)


def normalise(text: str | None) -> str:
    return (text or "").strip().casefold()


def match_tier(norm: str, prefix: str) -> int | None:
    """0: starts with the prefix; 1: a later word does; 2: contains it anywhere; None: no match."""
    if norm.startswith(prefix):
        return 0
    if f" {prefix}" in norm:
        return 1
    return 2 if prefix in norm else None


def rank_entries(entries: Iterable[Entry], prefix: str, limit: int = CHOICES) -> list[Entry]:
    """Matches for what a member typed: prefix matches first, then by story count."""
    prefix = normalise(prefix)
    ranked = [(tier, -e.count, e.norm, e) for e in entries if (tier := match_tier(e.norm, prefix)) is not None]
    return [item[-1] for item in sorted(ranked, key=lambda item: item[:3])[:limit]]
