"""The newsroom store on both backends: alert throttling, candidates, channel activity."""

from __future__ import annotations

from bot.routes.planning import make_planner, post
from bot.store import DeliveryState, Store
from bot.store.newsroom import NewsroomStore
from tests.storyfiles import parsed_file


def test_alert_claims_are_throttled_per_problem(newsroom: NewsroomStore) -> None:
    assert newsroom.claim_alert("forbidden:1", every=3600, now=1000)
    assert not newsroom.claim_alert("forbidden:1", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:2", every=3600, now=2000)
    assert newsroom.claim_alert("forbidden:1", every=3600, now=4601)


def test_candidates_are_the_newest_wanted_stories_marked_if_the_channel_has_them(
    newsroom: NewsroomStore, store: Store
) -> None:
    items = [parsed_file(f"{n}.md", n, topics=[topic]) for n, topic in ((1, "AI"), (2, "Space"), (3, "AI"))]
    store.apply(items, make_planner(lambda s: [], announce=True, on_unpublish="delete"))
    store.ledger.record([post(3, [5])])  # channel 5 has story 3 already
    found = newsroom.candidates(5, lambda story: "AI" in story.topics, since=None, limit=5)
    assert [(c.story.title, c.delivered) for c in found] == [("Story number 3", True), ("Story number 1", False)]


def test_channel_activity_counts_each_channels_deliveries(newsroom: NewsroomStore, store: Store) -> None:
    store.apply([parsed_file("1.md", 1)], make_planner(lambda s: [5, 6], announce=True, on_unpublish="delete"))
    delivery = store.ledger.read((1, 5))
    assert delivery is not None
    store.ledger.settle(delivery, DeliveryState.SENT, message_id=77)
    activity = {a.channel_id: a for a in newsroom.channel_activity()}
    assert set(activity) == {5, 6}
    assert (activity[5].pending, activity[5].sent, activity[6].pending, activity[6].sent) == (0, 1, 1, 0)
    assert activity[5].last_post_at is not None and activity[6].last_post_at is None
