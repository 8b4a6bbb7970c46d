"""PostgreSQL's bitmaps of the common words (``bitmaps``): ``search_bits`` (word, bucket, ``bit(8192)``, stored
inline), ``search_lexemes.docs`` (each word's story count) and ``.dense``, changed with ``stories_search`` in the
same transaction (``add``/``remove``); a word that becomes dense gets its older stories' bits from GIN once.
The AND of a query's words is computed by the server (``bit_and``), newest buckets first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, TextClause, text

from bot.search import bitmaps
from bot.search.bitmaps import BUCKET_BYTES, BUCKET_IDS, BUCKET_SHIFT, NEWEST_BUCKETS

# The batch's words: counted, and for the dense ones the batch's stories that have them, and whether the word
# was dense before (in as many stories without the batch's: one that just became dense has older stories to fill).
_ADD = text(
    "WITH w AS (SELECT s.story_id AS id, x.word FROM stories_search AS s, "
    "  unnest(tsvector_to_array(s.tsv)) AS x(word) WHERE s.story_id = ANY(:ids)), "
    "n AS (SELECT word, count(*) AS n, array_agg(id) AS ids FROM w GROUP BY word), "
    "counted AS (INSERT INTO search_lexemes AS l (word, docs, dense) "
    "  SELECT word, n, n >= :dense FROM n ORDER BY word "
    "  ON CONFLICT (word) DO UPDATE SET docs = l.docs + excluded.docs, "
    "  dense = l.dense OR l.docs + excluded.docs >= :dense RETURNING l.word, l.docs, l.dense) "
    "SELECT c.word, c.docs - n.n >= :dense, n.ids FROM counted AS c JOIN n ON n.word = c.word WHERE c.dense"
)
_REMOVE = text(
    "WITH gone AS (DELETE FROM stories_search WHERE story_id = ANY(:ids) RETURNING story_id AS id, tsv), "
    "w AS (SELECT g.id, x.word FROM gone AS g, unnest(tsvector_to_array(g.tsv)) AS x(word)), "
    "counted AS (UPDATE search_lexemes AS l SET docs = l.docs - c.n "
    "  FROM (SELECT word, count(*) AS n FROM w GROUP BY word) AS c WHERE l.word = c.word RETURNING l.word, l.dense) "
    "SELECT c.word, array_agg(w.id) FROM counted AS c JOIN w ON w.word = c.word WHERE c.dense GROUP BY c.word"
)
# The masks travel as one bytea, BUCKET_IDS / 8 bytes each, in the order of the words and buckets: psycopg spells
# a list of long strings out slowly (~0.1 ms a mask), a single bytes value at memory speed.
_ROWS = "unnest(CAST(:words AS text[]), CAST(:buckets AS int[])) WITH ORDINALITY AS u(word, bucket, n)"
_MASK = (
    f"CAST('x' || encode(substring(CAST(:masks AS bytea) FROM CAST(u.n AS int) * {BUCKET_BYTES} "
    f"- {BUCKET_BYTES - 1} FOR {BUCKET_BYTES}), 'hex') AS bit({BUCKET_IDS}))"
)
_SET = text(
    f"INSERT INTO search_bits AS b (word, bucket, bits) SELECT u.word, u.bucket, {_MASK} FROM {_ROWS} "
    "ORDER BY u.word, u.bucket ON CONFLICT (word, bucket) DO UPDATE SET bits = b.bits | excluded.bits"
)
_CLEAR = text(
    f"UPDATE search_bits AS b SET bits = b.bits & ~{_MASK} FROM {_ROWS} WHERE b.word = u.word AND b.bucket = u.bucket"
)
# The buckets where every group has a story, newest first, as many as hold the first ``:n`` (each bitmap as its
# binary send format: a 4-byte length, then the 1,024 bytes). A group's bitmap is the OR of its words' (a word
# start spelled out as the words it begins), the result the AND of the groups'. {range}: the newest ``:span``
# buckets (up to the newest story's) or those below them.
_MATCHES = (
    "SELECT z.bucket, varbit_send(z.bits) FROM (SELECT y.bucket, y.bits, coalesce(sum(bit_count(y.bits)) "
    "  OVER (ORDER BY y.bucket DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before "
    "  FROM (SELECT x.bucket, bit_and(x.g) AS bits, count(*) AS k FROM "
    "    (SELECT q.grp, b.bucket, bit_or(b.bits) AS g "
    "     FROM unnest(CAST(:words AS text[]), CAST(:groups AS int[])) AS q(word, grp) "
    "     JOIN search_bits AS b ON b.word = q.word AND b.bucket {range} "
    "     GROUP BY q.grp, b.bucket) AS x GROUP BY x.bucket) AS y "
    "  WHERE y.k = :k AND y.bits <> CAST(B'0' AS bit(8192))) AS z "
    "WHERE z.before < :n ORDER BY z.bucket DESC"
)
_FIRST = f"((SELECT max(story_id) FROM stories_search) >> {BUCKET_SHIFT}) - :span"
_NEWEST = text(_MATCHES.format(range=f"> {_FIRST}"))
_OLDER = text(_MATCHES.format(range=f"<= {_FIRST}"))


def add(conn: Connection, story_ids: Sequence[int], indexed: str) -> None:
    """Count the words of the stories just put in ``stories_search`` and set their bits. ``indexed``: the
    expression the GIN index has, for ``fill``."""
    rows = conn.execute(_ADD, {"ids": list(story_ids), "dense": bitmaps.DENSE_DOCS}).all()
    set_bits(conn, {word: ids for word, was_dense, ids in rows if was_dense})
    for word in sorted(word for word, was_dense, _ in rows if not was_dense):
        fill(conn, word, indexed)


def remove(conn: Connection, story_ids: Sequence[int]) -> None:
    """Take stories out of ``stories_search``, their words' counts and their bits."""
    rows = conn.execute(_REMOVE, {"ids": list(story_ids)}).all()
    _apply(conn, _CLEAR, {word: ids for word, ids in rows})


def fill(conn: Connection, word: str, indexed: str) -> None:
    """Set the bits of every story with ``word`` (one that just became dense), from the GIN index.

    The planner would scan the table for a word this common (it expects to read most pages anyway), evaluating
    the indexed expression on every row: the index finds the ~``DENSE_DOCS`` rows at a fraction of that."""
    before = conn.execute(text("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', TRUE)"))
    setting = before.scalar()
    try:
        ids = conn.execute(
            text(f"SELECT f.story_id FROM stories_search AS f WHERE {indexed} @@ CAST(:q AS tsquery)"),
            {"q": lexeme(word)},
        ).scalars()
        set_bits(conn, {word: list(ids)})
    finally:
        conn.execute(text("SELECT set_config('enable_seqscan', :s, TRUE)"), {"s": setting})


def set_bits(conn: Connection, postings: Mapping[str, Iterable[int]]) -> None:
    """Set the bit of each (word, story id) of ``postings``."""
    _apply(conn, _SET, postings)


def lexeme(word: str) -> str:
    """``word`` as a tsquery of that one lexeme, whatever characters it has."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _apply(conn: Connection, statement: TextClause, postings: Mapping[str, Iterable[int]]) -> None:
    masks = bitmaps.masks(postings)
    if masks:
        keys = sorted(masks)
        rows = {
            "words": [w for w, _ in keys],
            "buckets": [b for _, b in keys],
            "masks": b"".join(masks[k] for k in keys),
        }
        conn.execute(statement, rows)


def newest(conn: Connection, groups: Sequence[Sequence[str]], n: int) -> list[int]:
    """The ``n`` highest ids of the stories that have a word of every group (all dense words)."""
    words = [w for group in groups for w in group]
    numbers = [i for i, group in enumerate(groups) for _ in group]
    params = {"words": words, "groups": numbers, "k": len(groups), "span": NEWEST_BUCKETS, "n": n}
    found: list[int] = []
    for statement in (_NEWEST, _OLDER):
        for bucket, sent in conn.execute(statement, params):
            bitmaps.take_newest(bucket, int.from_bytes(sent[4:], "big"), n, found)  # after varbit's 4-byte length
            if len(found) >= n:
                return found
        params["n"] = n - len(found)
    return found
