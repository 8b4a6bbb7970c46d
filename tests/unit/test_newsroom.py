"""The newsroom store on a real SQLite file: alert throttling."""

from __future__ import annotations

from bot.planning import make_planner, post
from bot.store.newsroom import NewsroomStore
from tests.storyfiles import parsed_file


def test_alert_claims_are_throttled_per_problem(newsroom: NewsroomStore) -> None:
    assert newsroom.claim_alert("forbidden:1", every=3600, now=1000)
    assert not newsroom.claim_alert("forbidden:1", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:2", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:1", every=3600, now=4601)


def test_candidates_are_the_newest_wanted_stories_marked_if_the_channel_has_them(newsroom: NewsroomStore) -> None:
    store = newsroom.store
    items = [parsed_file(f"{n}.md", n, topics=[topic]) for n, topic in ((1, "AI"), (2, "Space"), (3, "AI"))]
    store.apply(items, make_planner(lambda s: [], announce=True, on_unpublish="delete"))
    store.record_actions([post(3, [5])])  # channel 5 has story 3 already
    found = newsroom.candidates(5, lambda story: "AI" in story.topics, since=None, limit=5)
    assert [(c.story.title, c.delivered) for c in found] == [("Story number 3", True), ("Story number 1", False)]
