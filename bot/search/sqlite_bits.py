"""SQLite's bitmaps of the common words (``bitmaps``): ``search_bits`` (term, bucket, 1 KB blob) and
``search_terms.dense``, beside the counts ``search_terms.docs`` already keeps (migration 0007). Words are folded
in Python as FTS5's unicode61 folds them (``sqlite_rank.tokens``), as those counts are. The AND of a query's
words is computed here, from the blobs of its words' buckets, newest first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from bot.search import bitmaps
from bot.search.bitmaps import MAX_EXPANSION, NEWEST_BUCKETS
from bot.search.sqlite_rank import tokens


def add(conn: Connection, rows: Sequence[tuple[int, set[str]]], states: Mapping[str, tuple[int, bool]]) -> None:
    """Set the bits of these stories' dense words; ``states``: each word's count (these stories included) and
    whether it is dense. A word that reached ``DENSE_DOCS`` stories becomes dense, and its older stories get
    their bits from FTS5."""
    promoted = sorted(t for t, (docs, dense) in states.items() if not dense and docs >= bitmaps.DENSE_DOCS)
    if promoted:
        conn.exec_driver_sql(
            "UPDATE search_terms SET dense = 1 WHERE term IN (SELECT value FROM json_each(?))", (json.dumps(promoted),)
        )
        for term in promoted:
            fill(conn, term)
    dense = {t for t, (_, is_dense) in states.items() if is_dense}
    _merge(conn, bitmaps.row_masks((story_id, terms & dense) for story_id, terms in rows), clear=False)


def fill(conn: Connection, term: str) -> None:
    """Set the bits of every story with ``term``, from FTS5 (its postings hold the ids)."""
    ids = conn.exec_driver_sql("SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?", (f'"{term}"',))
    _merge(conn, bitmaps.masks({term: [row[0] for row in ids]}), clear=False)


def remove(conn: Connection, rows: Sequence[tuple[int, set[str]]], states: Mapping[str, tuple[int, bool]]) -> None:
    """Clear the bits of these stories' dense words (``states`` as for ``add``)."""
    dense = {t for t, (_, is_dense) in states.items() if is_dense}
    _merge(conn, bitmaps.row_masks((story_id, terms & dense) for story_id, terms in rows), clear=True)


def _merge(conn: Connection, masks: Mapping[tuple[str, int], bytearray], *, clear: bool) -> None:
    """OR (``clear``: AND NOT) the masks into their words' bitmaps."""
    if not masks:
        return
    keys = sorted(masks)
    old = {
        (term, bucket): bits
        for term, bucket, bits in conn.exec_driver_sql(
            "SELECT b.term, b.bucket, b.bits FROM json_each(?) AS j JOIN search_bits AS b "
            "ON b.term = json_extract(j.value, '$[0]') AND b.bucket = json_extract(j.value, '$[1]')",
            (json.dumps(keys),),
        )
    }
    changed: list[tuple[bytes, str, int]] = []
    created: list[tuple[bytes, str, int]] = []
    for key in keys:
        before = old.get(key)
        mask = int.from_bytes(masks[key], "big")
        value = int.from_bytes(before or b"", "big")
        after = (value & ~mask if clear else value | mask).to_bytes(bitmaps.BUCKET_BYTES, "big")
        (changed if before is not None else created).append((after, *key))
    # In place: an UPDATE of a blob of the same size rewrites its page, where a REPLACE would delete and insert.
    if changed:
        conn.exec_driver_sql("UPDATE search_bits SET bits = ? WHERE term = ? AND bucket = ?", changed)
    if created:
        conn.exec_driver_sql("INSERT INTO search_bits (bits, term, bucket) VALUES (?, ?, ?)", created)


def groups(conn: Connection, words: Sequence[str], prefix: bool) -> list[list[str]] | None:
    """The query's words as groups of dense terms (a word start's group: the terms it begins), or None when a
    word is not one dense term (the full-text index answers it then). A group is empty when no story has the
    word (or no word starts so): then nothing matches."""
    whole = [tokens(w) for w in (words[:-1] if prefix else words)]
    if any(len(t) != 1 for t in whole):
        return None
    wanted = sorted({t[0] for t in whole})
    found = {
        term: (docs, dense)
        for term, docs, dense in conn.exec_driver_sql(
            "SELECT term, docs, dense FROM search_terms WHERE term IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
    }
    if any(found.get(term, (0, 0))[0] <= 0 for term in wanted):
        return [[]]
    if not all(found[term][1] for term in wanted):
        return None
    out = [[t[0]] for t in whole]
    if prefix:
        start = tokens(words[-1])
        if len(start) != 1:
            return None
        begun = conn.exec_driver_sql(
            "SELECT term, dense FROM search_terms WHERE term >= ? AND term < ? AND docs > 0 ORDER BY term LIMIT ?",
            (start[0], start[0] + "\U0010ffff", MAX_EXPANSION + 1),
        ).all()
        if len(begun) > MAX_EXPANSION or not all(is_dense for _, is_dense in begun):
            return None
        out.append([term for term, _ in begun])
    return out


def newest(conn: Connection, groups: Sequence[Sequence[str]], n: int) -> list[int]:
    """The ``n`` highest ids of the stories that have a term of every group (all dense terms)."""
    group_of: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        for term in group:
            group_of.setdefault(term, []).append(i)
    terms = json.dumps(sorted(group_of))
    top = conn.exec_driver_sql(
        "SELECT max(bucket) FROM search_bits WHERE term IN (SELECT value FROM json_each(?))", (terms,)
    ).scalar()
    found: list[int] = []
    if top is None:
        return found
    # The newest buckets first (most windows are filled there), then the rest: each read is sorted by bucket.
    for low, high in ((top - NEWEST_BUCKETS + 1, top), (None, top - NEWEST_BUCKETS)):
        rows = conn.exec_driver_sql(
            "SELECT bucket, term, bits FROM search_bits WHERE term IN (SELECT value FROM json_each(?)) "
            "AND bucket BETWEEN coalesce(?, -1) AND ? ORDER BY bucket DESC",
            (terms, low, high),
        ).all()
        bucket, ors = None, [0] * len(groups)
        for row_bucket, term, bits in [*rows, (None, "", b"")]:
            if row_bucket != bucket:
                if bucket is not None and all(ors):
                    anded = ors[0]
                    for other in ors[1:]:
                        anded &= other
                    bitmaps.take_newest(bucket, anded, n, found)
                    if len(found) >= n:
                        return found
                bucket, ors = row_bucket, [0] * len(groups)
            if term:
                value = int.from_bytes(bits, "big")
                for i in group_of[term]:
                    ors[i] |= value
    return found
