"""Digest run keys as claims, on both backends: their states, which runs count as orphaned (claimer dead), and a
takeover that exactly one of several concurrent processes wins."""

from __future__ import annotations

import threading
import time

from bot.digest.spec import make_spec
from bot.store import Store
from bot.store.cluster import Member
from bot.store.digests import DigestStore, RunStatus

PLAN = '{"messages": []}'


def live(store: Store, member_id: str, now: float) -> None:
    store.cluster.beat(Member(member_id, "host", 1, 1, (0,), (0,), True, False, now, now, 5.0))


def new_digest(digests: DigestStore) -> int:
    return digests.save(100, make_spec(name="daily", channel_id=555, time="09:00")).id


def test_a_claim_is_posting_under_its_claimer_until_its_run_is_recorded(store: Store) -> None:
    digests = store.digests
    digest_id = new_digest(digests)
    assert digests.claim_run(digest_id, "scheduled:1", member_id="a", plan=PLAN)
    assert not digests.claim_run(digest_id, "scheduled:1", member_id="b", plan=PLAN), "one claim per key"
    assert digests.keys.state(digest_id, "scheduled:1") == ("posting", "a")
    digests.record_run(
        digest_id, started_at=1, window_start=0, window_end=1, status=RunStatus.SENT, run_key="scheduled:1"
    )
    assert digests.keys.state(digest_id, "scheduled:1") == ("done", "a")
    assert digests.keys.orphans("b", [digest_id]) == [], "a recorded run is never resumed"
    assert digests.keys.state(digest_id, "scheduled:2") is None


def test_only_runs_of_dead_claimers_are_orphans(store: Store) -> None:
    digests = store.digests
    digest_id = new_digest(digests)
    now = time.time()
    live(store, "alive", now)
    live(store, "me", now)
    digests.claim_run(digest_id, "k-dead", member_id="gone", plan=PLAN, now=now - 1)
    digests.claim_run(digest_id, "k-alive", member_id="alive", plan=PLAN, now=now)
    digests.claim_run(digest_id, "k-mine", member_id="me", plan=PLAN, now=now)
    digests.claim_run(digest_id, "k-noplan", member_id="gone", now=now)  # nothing known to resume it from
    assert digests.keys.orphans("me", [digest_id]) == [(digest_id, "k-dead")]
    assert digests.keys.orphans("me", [digest_id + 1]) == [], "only the digests asked about"
    # SQLite (exclusive): this is the only process, so every other claimer is an earlier, dead one.
    assert digests.keys.orphans("me", [digest_id], exclusive=True) == [(digest_id, "k-dead"), (digest_id, "k-alive")]
    claim = digests.keys.take_over(digest_id, "k-dead", "me")
    assert claim is not None and claim.previous == "gone" and claim.plan == PLAN
    assert digests.keys.state(digest_id, "k-dead") == ("posting", "me")
    assert digests.keys.take_over(digest_id, "k-alive", "me") is None, "its claimer is live"
    assert digests.keys.orphans("me", [digest_id]) == []


def test_a_dead_claim_is_taken_over_exactly_once_under_concurrency(store: Store) -> None:
    digests = store.digests
    digest_id = new_digest(digests)
    takers = [f"taker-{i}" for i in range(4)]
    for taker in takers:
        live(store, taker, time.time())
    keys = [f"scheduled:{n}" for n in range(5)]
    for key in keys:
        digests.claim_run(digest_id, key, member_id="dead", plan=PLAN)
    won: dict[str, list[str]] = {key: [] for key in keys}
    barrier = threading.Barrier(len(takers))
    errors: list[BaseException] = []

    def take(taker: str) -> None:
        try:
            barrier.wait()
            for key in keys:
                if digests.keys.take_over(digest_id, key, taker) is not None:
                    won[key].append(taker)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(t,)) for t in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(winners) == 1 for winners in won.values()), won
    assert all(digests.keys.state(digest_id, k) == ("posting", won[k][0]) for k in keys)
