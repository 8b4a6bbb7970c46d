"""Bitmaps of the stories that have each common word, per bucket of 8,192 story ids: what both backends share.

A full-text index answers "every word" by walking the postings of the least common word and checking each against
the others: for words that are each common but seldom meet ("security experts energy", each in 6-23 % of a
million stories, together in 0.02 %) that is tens of thousands of steps, 10-40 ms, whatever the LIMIT. A word in
at least ``DENSE_DOCS`` stories also has one bitmap per bucket (1 KB): the stories with all of a query's words
are the AND of those, read newest bucket first, a few milliseconds at a million stories. Rarer words stay with
the full-text index, which is fast for them. Kept by ``postgres_bits`` and ``sqlite_bits`` (migration 0010).

Bit i of a bucket's bitmap is story id ``bucket * BUCKET_IDS + i``: the most significant bit of byte i // 8
(PostgreSQL's ``bit(8192)`` order), so read as one big-endian number the newest ids are the lowest bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

BUCKET_SHIFT = 13
BUCKET_IDS = 1 << BUCKET_SHIFT
BUCKET_BYTES = BUCKET_IDS // 8
# A word in fewer stories is left to the full-text index: at most this many postings to walk, whatever its company.
DENSE_DOCS = 1_000
# The buckets a search reads first, newest first (~65,000 ids): most windows are filled there.
NEWEST_BUCKETS = 8
# A word start is spelled out as the words it begins, up to this many; a start that broad is left to the full-text
# index (on PostgreSQL a partial match, ":*", no slower than the words would be).
MAX_EXPANSION = 64


def masks(postings: Mapping[str, Iterable[int]]) -> dict[tuple[str, int], bytearray]:
    """(word, bucket) -> the bitmap of the given story ids (word -> ids)."""
    out: dict[tuple[str, int], bytearray] = {}
    for word, ids in postings.items():
        for story_id in ids:
            i = story_id & (BUCKET_IDS - 1)
            mask = out.get((word, story_id >> BUCKET_SHIFT))
            if mask is None:
                mask = out[word, story_id >> BUCKET_SHIFT] = bytearray(BUCKET_BYTES)
            mask[i >> 3] |= 0x80 >> (i & 7)
    return out


def row_masks(rows: Iterable[tuple[int, Iterable[str]]]) -> dict[tuple[str, int], bytearray]:
    """(word, bucket) -> the bitmap of the stories given as (story id, its words)."""
    # By bucket, then by word: a batch's stories are mostly in one bucket, and a word is a cheaper key than a pair.
    by_bucket: dict[int, dict[str, bytearray]] = {}
    for story_id, words in rows:
        bucket, i = story_id >> BUCKET_SHIFT, story_id & (BUCKET_IDS - 1)
        byte, bit = i >> 3, 0x80 >> (i & 7)
        per_word = by_bucket.setdefault(bucket, {})
        for word in words:
            mask = per_word.get(word)
            if mask is None:
                mask = per_word[word] = bytearray(BUCKET_BYTES)
            mask[byte] |= bit
    return {(word, bucket): mask for bucket, per_word in by_bucket.items() for word, mask in per_word.items()}


def take_newest(bucket: int, bits: int, n: int, found: list[int]) -> None:
    """Append to ``found`` the highest ids set in a bucket's bitmap (as a big-endian number), until it holds
    ``n``; only ids below those already found (a story added between two reads may have moved the buckets)."""
    top = (bucket << BUCKET_SHIFT) + BUCKET_IDS - 1
    while bits and len(found) < n:
        low = bits & -bits
        story_id = top - (low.bit_length() - 1)
        if not found or story_id < found[-1]:
            found.append(story_id)
        bits ^= low
