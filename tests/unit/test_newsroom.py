"""The newsroom store on a real SQLite file: alert throttling."""

from __future__ import annotations

from bot.store.newsroom import NewsroomStore


def test_alert_claims_are_throttled_per_problem(newsroom: NewsroomStore) -> None:
    assert newsroom.claim_alert("forbidden:1", every=3600, now=1000)
    assert not newsroom.claim_alert("forbidden:1", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:2", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:1", every=3600, now=4601)
