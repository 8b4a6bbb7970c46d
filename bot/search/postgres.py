"""PostgreSQL's full-text search: a weighted tsvector with a GIN index (``stories_search``, made by migration
0001, bucketed by 0009), its word counts and bitmaps, and how a search's window is read from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Integer, MetaData, Table, Text, text

from bot.search import postgres_bits
from bot.search.postgres_words import MAX_EXPANSION, tsquery

if TYPE_CHECKING:
    from bot.search.backend import Ask, BulkInsert, Rows, SearchRow
    from bot.search.sqlite_rank import DocFrequencies

__all__ = ["MAX_EXPANSION", "POSTGRES_SEARCH", "PostgresSearch"]

# ts_rank_cd's weights for D, C, B, A: SQLite's bm25(4, 1, 2, 2) scaled to at most 1.
RANK_WEIGHTS = "{0.25, 0.25, 0.5, 1.0}"
# A query search first walks this many of the newest stories (~5 ms), then asks the GIN index for older matches.
NEWEST_ROWS = 3000
# The missing matches expected within this many more rows (~2.5 µs a row): walk on to them.
WALK_ROWS = 2000
# The GIN index holds each story's bucket of 2**BUCKET_BITS ids as a lexeme "_<bucket>" (migration 0009), so a
# search can ask it for the matches in a range of ids only. INDEXED is the indexed expression, as the index has it.
BUCKET_BITS = 14
INDEXED = f"(f.tsv || array_to_tsvector(ARRAY['_' || (f.story_id >> {BUCKET_BITS})::text]))"
# The first range asked for is MARGIN times the ids expected to hold the missing matches (at the density seen
# among the newest stories); each next one is twice as wide.
MARGIN = 1.5
# Costs (ms) measured at a million stories, three words each in ~22 % of the stories, to choose between asking for
# a range of buckets (BUCKET_MS each) and asking for every id: FULL_MS for the postings, plus MATCH_MS for each
# match (every one is fetched from the heap to be sorted by id).
BUCKET_MS = 2.5
FULL_MS = 15.0
MATCH_MS = 0.006

# The full-text index (made by migration 0001): a copy of the searchable text per story, and a generated,
# weighted tsvector over it with a GIN index. Weights follow SQLite's bm25 column weights.
_search = Table(
    "stories_search",
    MetaData(),
    Column("story_id", Integer, primary_key=True),
    Column("title", Text),
    Column("excerpt", Text),
    Column("provider", Text),
    Column("topics", Text),
)


class PostgresSearch:
    name = "postgresql"
    true = "TRUE"
    ordered_join = "JOIN"

    def add(self, conn: Connection, rows: Sequence[SearchRow], bulk_insert: BulkInsert) -> None:
        if rows:
            keys = ("story_id", "title", "excerpt", "provider", "topics")
            bulk_insert(conn, _search, [dict(zip(keys, row, strict=True)) for row in rows])
            postgres_bits.add(conn, [row[0] for row in rows], INDEXED)

    def remove(self, conn: Connection, story_ids: Sequence[int]) -> None:
        if story_ids:
            postgres_bits.remove(conn, story_ids)

    def window(self, conn: Connection, ask: Ask, n: int, freq: DocFrequencies | None = None) -> Rows:
        words, prefix, topics, providers = ask.words, ask.prefix, ask.topics, ask.providers
        # Words hold only letters and digits, so quoting each one as a lexeme leaves no tsquery syntax in user text.
        terms = tsquery(conn, words, prefix)
        if terms is None:
            return []
        params: dict[str, Any] = {"q": terms.query, "n": n}
        where = ["f.tsv @@ to_tsquery('simple', :q)"]
        if topics:
            params["topics"] = list(topics)
            where.append(
                "EXISTS (SELECT 1 FROM story_topics AS t WHERE t.story_id = f.story_id AND t.norm = ANY(:topics))"
            )
        if providers:
            params["providers"] = list(providers)
            where.append("f.provider = ANY(:providers)")
        # Normalisation 1 (divide by 1 + log of the length) favours shorter stories, as bm25's length term does.
        # Scored outside the LIMIT: when the GIN index collects every match and sorts them, only the window's rows
        # are ranked (in the select list under the sort, ts_rank_cd would read the positions of every match).
        score = "m.title" if prefix else f"-ts_rank_cd('{RANK_WEIGHTS}', m.tsv, to_tsquery('simple', :q), 1)"
        if terms.groups is not None and not topics and not providers:
            # Every word is common: the bitmaps tell the newest matches (top: above any id).
            params["ids"] = postgres_bits.newest(conn, terms.groups, n)
            return _window(conn, "stories_search AS f", ["f.story_id = ANY(:ids)"], score, "f.story_id", params)
        indexed = [f"{INDEXED} @@ to_tsquery('simple', :q)", *where[1:]]
        if len(words) == 1:
            # The planner knows one word's share of the stories: it walks newest first or asks the GIN index.
            return _window(conn, "stories_search AS f", indexed, score, "f.story_id", params)
        # The planner cannot tell how many stories have all of several words (it multiplies their shares), so the
        # plan is chosen from how many of the NEWEST_ROWS newest stories have them (~5 ms to look).
        newest = f"(SELECT * FROM stories_search ORDER BY story_id DESC LIMIT {NEWEST_ROWS}) AS f"
        rows = _window(conn, newest, where, score, "f.story_id", params)
        if len(rows) >= n:
            return rows
        floor = conn.execute(
            text(f"SELECT story_id FROM stories_search ORDER BY story_id DESC OFFSET {NEWEST_ROWS - 1} LIMIT 1")
        ).scalar()
        if floor is None:  # those were all the stories
            return rows
        need, density = n - len(rows), len(rows) / NEWEST_ROWS
        if density and need / density <= WALK_ROWS:
            # Dense: walking on from there finds the rest within a few thousand rows.
            rest = {**params, "floor": floor, "n": need}
            return rows + _window(
                conn, "stories_search AS f", [*where, "f.story_id < :floor"], score, "f.story_id", rest
            )
        return rows + _older(conn, indexed, score, params, floor, need, density)

    def hint(self, column: str) -> str:
        return column

    def ids_in(self, params: dict[str, Any], ids: Sequence[int]) -> str:
        params["ids"] = list(ids)
        return "s.id = ANY(:ids)"

    def indexed_by(self, index: str) -> str:
        return ""


def _older(
    conn: Connection, where: list[str], score: str, params: dict[str, Any], top: int, need: int, density: float
) -> list[tuple[int, Any]]:
    """The ``need`` newest matches below id ``top`` from the GIN index, asking it for ranges of id buckets.

    A walk would read ~1/density rows per match, and the whole index would fetch every match from the heap to
    sort them; a range sized for the matches missing costs the postings and matches in it. The whole index is
    asked when that is expected to cost less: few matches (none among the newest stories: density 0), or a range
    too wide. After each range the density is guessed again from the matches found in the ranges read.
    """
    start, span = top, int(need / density * MARGIN) if density else top
    rows: list[tuple[int, Any]] = []
    while need > 0 and top > 0:
        low = (max(0, top - span) >> BUCKET_BITS) << BUCKET_BITS
        buckets = ((top - 1) >> BUCKET_BITS) - (low >> BUCKET_BITS) + 1
        if BUCKET_MS * buckets >= FULL_MS + MATCH_MS * density * top:
            low = 0
        asked = [*where, "f.story_id < :top"]
        ranged = {**params, "top": top, "n": need}
        if low > 0:
            # Buckets from the one holding ``top - 1`` down to the one starting at ``low``: ids low..top-1.
            ranged["b"] = " | ".join(f"'_{b}'" for b in range(low >> BUCKET_BITS, ((top - 1) >> BUCKET_BITS) + 1))
            asked[0] = f"{INDEXED} @@ (to_tsquery('simple', :q) && CAST(:b AS tsquery))"
        # "story_id + 0" keeps the planner off the walk in the primary key's order: the index has the few rows.
        found = _window(conn, "stories_search AS f", asked, score, "f.story_id + 0", ranged)
        rows += found
        need -= len(found)
        top = low
        if rows:
            # The density in the ranges read so far, a better guess than the newest stories' (more rows seen).
            density = len(rows) / (start - top)
            span = int(need / density * MARGIN)
        else:
            span *= 2
    return rows


def _window(
    conn: Connection, source: str, where: Sequence[str], score: str, order: str, params: dict[str, Any]
) -> list[tuple[int, Any]]:
    sql = (
        f"SELECT m.story_id, {score} FROM (SELECT f.story_id, f.tsv, f.title FROM {source} "
        f"WHERE {' AND '.join(where)} ORDER BY {order} DESC LIMIT :n) AS m ORDER BY m.story_id DESC"
    )
    return [(row[0], row[1]) for row in conn.execute(text(sql), params)]


POSTGRES_SEARCH = PostgresSearch()
