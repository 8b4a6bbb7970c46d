"""The autocomplete catalog's counts (published stories per topic and per provider), kept in ``catalog_counts``.

Rebuilding the counts from the stories costs seconds at a million stories, on every change. Instead every batch
the store applies adds its deltas (a story published, unpublished, removed, or its topics or provider edited:
``CatalogDelta``, written by the store's indexing) in the same transaction, so the table is always exact,
whichever process wrote. A ``version`` row is bumped by each batch that changed a count: readers in other
processes compare it to know when to read the table again.

Counts include future-dated stories; with an embargo, readers subtract those (a short range of the date index).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from bot.search.backend import search_backend_of
from bot.stories.story import Story

TOPIC = "topic"
PROVIDER = "provider"
VERSION = "version"  # one row; 'provider' < 'topic' < 'version', so rows are always locked in the same order


@dataclass(slots=True)
class CatalogDelta:
    """Count changes of one batch: (kind, name) -> +n/-n, and a spelling for names that may be new."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    spellings: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, live: bool, provider: str, topics: Iterable[tuple[str, str]], sign: int) -> None:
        """Count (sign=+1) or uncount (sign=-1) one story state; ``topics`` as (norm, spelling)."""
        if not live:
            return
        if provider:
            self.counts[(PROVIDER, provider)] += sign
            self.spellings.setdefault((PROVIDER, provider), provider)
        for norm, spelling in dict(topics).items():
            self.counts[(TOPIC, norm)] += sign
            self.spellings.setdefault((TOPIC, norm), spelling)

    def add_story(self, story: Story, sign: int) -> None:
        provider = story.provider.name if story.provider else ""
        self.add(story.published, provider, story_topics_of(story), sign)

    def rows(self) -> list[dict[str, Any]]:
        """The non-zero deltas as rows to add to the counts, then the version's bump (none if nothing changed); in
        key order, so concurrent writers lock them in the same order and never deadlock."""
        rows = [
            {"kind": kind, "name": name, "spelling": self.spellings[(kind, name)], "n": n}
            for (kind, name), n in sorted(self.counts.items())
            if n
        ]
        return [*rows, {"kind": VERSION, "name": "", "spelling": "", "n": 1}] if rows else []


def story_topics_of(story: Story) -> list[tuple[str, str]]:
    return [(t.casefold(), t) for t in story.topics]


@dataclass(frozen=True, slots=True)
class CatalogRows:
    topics: list[tuple[str, str, int]]  # (norm, spelling, published stories)
    providers: list[tuple[str, int]]  # (exact provider name, published stories)


def version(conn: Connection, until: float | None) -> tuple[Any, ...]:
    """Changes whenever a count may have: a batch changed one, or (with ``until``) a future story came out."""
    bumped = conn.execute(text("SELECT n FROM catalog_counts WHERE kind = :k AND name = ''"), {"k": VERSION}).scalar()
    if until is None:
        return (bumped or 0,)
    future = conn.execute(text("SELECT count(*) FROM stories WHERE published_at > :until"), {"until": until}).scalar()
    return (bumped or 0, future or 0)


def read(conn: Connection, until: float | None) -> CatalogRows:
    """The counts of stories released by ``until`` (None: every published story)."""
    rows = conn.execute(
        text("SELECT kind, name, spelling, n FROM catalog_counts WHERE kind IN (:t, :p) AND n > 0"),
        {"t": TOPIC, "p": PROVIDER},
    ).all()
    topics = {row[1]: [row[2], row[3]] for row in rows if row[0] == TOPIC}
    providers = {row[1]: row[3] for row in rows if row[0] == PROVIDER}
    if until is not None:
        b = search_backend_of(conn)
        live = f"s.present = {b.true} AND s.published = {b.true} AND s.published_at > :until"
        held = conn.execute(
            text(
                f"SELECT t.norm, count(*) FROM stories AS s JOIN story_topics AS t ON t.story_id = s.id WHERE {live} "
                "GROUP BY t.norm"
            ),
            {"until": until},
        )
        for norm, n in held:
            if norm in topics:
                topics[norm][1] -= n
        held = conn.execute(
            text(
                f"SELECT s.provider, count(*) FROM stories AS s WHERE {live} AND s.provider != '' GROUP BY s.provider"
            ),
            {"until": until},
        )
        for name, n in held:
            if name in providers:
                providers[name] -= n
    return CatalogRows(
        [(norm, spelling, n) for norm, (spelling, n) in topics.items() if n > 0],
        [(name, n) for name, n in providers.items() if n > 0],
    )


def recount(conn: Connection) -> None:
    """Fill the table from the stories (migration 0003, and a repair): replaces whatever it held."""
    true = search_backend_of(conn).true
    live = f"s.present = {true} AND s.published = {true}"
    conn.execute(text("DELETE FROM catalog_counts WHERE kind IN (:t, :p)"), {"t": TOPIC, "p": PROVIDER})
    conn.execute(
        text(
            "INSERT INTO catalog_counts (kind, name, spelling, n) SELECT :t, t.norm, min(t.topic), count(*) "
            f"FROM story_topics AS t JOIN stories AS s ON s.id = t.story_id WHERE {live} GROUP BY t.norm"
        ),
        {"t": TOPIC},
    )
    conn.execute(
        text(
            "INSERT INTO catalog_counts (kind, name, spelling, n) SELECT :p, s.provider, s.provider, count(*) "
            f"FROM stories AS s WHERE {live} AND s.provider != '' GROUP BY s.provider"
        ),
        {"p": PROVIDER},
    )
    conn.execute(
        text(
            "INSERT INTO catalog_counts (kind, name, spelling, n) VALUES (:v, '', '', 1) "
            "ON CONFLICT (kind, name) DO UPDATE SET n = catalog_counts.n + 1"
        ),
        {"v": VERSION},
    )
