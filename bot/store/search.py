"""Search SQL: topic, provider, date and full-text (FTS5) filters over published stories."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Float, Integer, Select, column, func, select, text

from bot.store.schema import stories, story_topics
from bot.story import Story

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class StoryFilter:
    topic: str | None = None
    query: str | None = None
    provider: str | None = None
    since: float | None = None


def fts_match(query: str) -> str | None:
    """Turn any user text into a safe FTS5 expression: every word quoted, all required, the last one a prefix.

    Quoting defuses FTS5 syntax (``OR``, ``NEAR(``, ``*``, ``"``, column filters) so no input is an error.
    """
    words = _WORD.findall(query)[:32]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def search_query(flt: StoryFilter) -> Select | None:
    """A select of (id, data, rank) for published stories matching ``flt``, best first; None = no match."""
    query = select(stories.c.id, stories.c.data).where(stories.c.present.is_(True), stories.c.published.is_(True))
    if flt.topic:
        query = query.where(
            stories.c.id.in_(select(story_topics.c.story_id).where(story_topics.c.norm == flt.topic.strip().casefold()))
        )
    if flt.provider:
        query = query.where(func.lower(stories.c.provider) == flt.provider.strip().lower())
    if flt.since is not None:
        query = query.where(stories.c.published_at >= flt.since)
    if flt.query is not None:
        match = fts_match(flt.query)
        if match is None:
            return None
        fts = text("SELECT rowid, rank FROM stories_fts WHERE stories_fts MATCH :match").bindparams(match=match)
        ranked = fts.columns(column("rowid", Integer), column("rank", Float)).subquery("fts")
        query = query.join(ranked, ranked.c.rowid == stories.c.id).order_by(ranked.c.rank)
    return query.order_by(stories.c.published_at.desc().nulls_last(), stories.c.id.desc())


def run_search(conn: Connection, flt: StoryFilter, limit: int, offset: int = 0) -> list[Story]:
    query = search_query(flt)
    if query is None:
        return []
    rows = conn.execute(query.limit(limit).offset(offset))
    return [Story.from_dict(json.loads(r.data)) for r in rows]
