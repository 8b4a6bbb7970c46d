"""Servers walled off in the status report: /newsdesk status shows a server only its own part."""

from __future__ import annotations

import json
import time

from bot.digest.spec import make_spec
from bot.render.status import render_embed, render_text
from bot.routes.planning import Action, ActionKind, make_planner
from bot.status import for_guild, guild_status_report, status_report
from bot.store import DeliveryState, FileFailed, Store
from bot.store.cluster import Member
from tests.storyfiles import parsed_file

GUILD_A, GUILD_B = 1000, 2000
A1, A2, B1 = 11, 12, 21  # channels: two in server A, one in server B
FUTURE = "2030-01-01T09:00:00Z"


def world(store: Store, now: float) -> None:
    """Two servers' worth of activity: posts, failures, a held story, digests; plus a rejected file and a
    cluster member, which belong to the deployment."""
    planner = make_planner(lambda s: [A1, A2, B1], announce=True, on_unpublish="delete")
    store.apply(
        [
            parsed_file("a.md", 1, title="Shared story"),
            parsed_file("secret.md", 2, title="Merger under embargo", publishedDateTime=FUTURE),
            FileFailed("/srv/newsdesk/articles/private/broken.md", 1, 10, "x", "broken.md: bad YAML"),
        ],
        planner,
    )
    store.channel_guilds.remember({A1: GUILD_A, A2: GUILD_A, B1: GUILD_B})
    for channel, state, error in ((A1, DeliveryState.SENT, None), (B1, DeliveryState.FAILED, "B's own error")):
        row = store.ledger.read((1, channel))
        assert row is not None
        store.ledger.settle(row, state, last_error=error)
    store.set_meta("waiting", json.dumps({str(B1): "B waits"}))
    digests = store.digests
    digests.save(GUILD_A, make_spec(name="morning-a", channel_id=A2, time="08:00"))
    digests.save(GUILD_B, make_spec(name="evening-b", channel_id=B1, time="20:00"))
    store.cluster.beat(Member("m1", "db-host-7", 4242, 1, (0,), (0,), True, False, now - 60, now - 1, 5.0))


def test_a_server_sees_only_its_channels_held_stories_failures_and_digests(store: Store) -> None:
    now = time.time()
    world(store, now)
    full = status_report(store, queues={A1: 2, B1: 5}, now=now)
    assert {a.channel_id for a in full.channels} == {A1, A2, B1} and full.members and full.rejected

    b = guild_status_report(store, GUILD_B, {}, queues={A1: 2, B1: 5}, now=now)
    assert [a.channel_id for a in b.channels] == [B1]
    assert b.queues == {B1: 5}
    assert (b.failures_24h, b.failure_samples) == (1, [(B1, "Shared story", "B's own error")])
    assert [d.name for d in b.digests] == ["evening-b"]
    assert [(h.title, h.channels) for h in b.held] == [("Merger under embargo", (B1,))]
    assert (b.rejected, b.rejected_count, b.members, b.shard_depth, b.live_processes) == ([], 0, [], {}, None)

    a = guild_status_report(store, GUILD_A, {}, now=now)
    assert [c.channel_id for c in a.channels] == [A1, A2]
    assert (a.failures_24h, a.failure_samples, a.waiting) == (0, [], {})
    assert [d.name for d in a.digests] == ["morning-a"]
    assert [h.channels for h in a.held] == [(A1, A2)]

    shown = json.dumps(render_embed(b, now=now))
    for secret in (str(A1), str(A2), "morning-a", "db-host-7", "4242", "broken.md", "/srv/newsdesk"):
        assert secret not in shown, secret
    assert str(B1) in shown and "B's own error" in shown and "Merger under embargo" in shown
    names = [f["name"] for f in render_embed(b, now=now)["fields"]]
    assert not [n for n in names if n.startswith(("Rejected", "Cluster", "Queue depth", "Deployment"))]


def test_the_cli_report_still_shows_the_whole_deployment(store: Store) -> None:
    now = time.time()
    world(store, now)
    # A second process on the database: the cluster's lines are shown on SQLite too (test_cluster_status).
    store.cluster.beat(Member("m2", "db-host-8", 4343, 1, (0,), (), False, True, now - 30, now - 1, 5.0))
    text = render_text(status_report(store, now=now), now=now)
    for fact in (f"channel {A1}", f"channel {B1}", "db-host-7 pid 4242", "broken.md: bad YAML", "morning-a"):
        assert fact in text, fact


def test_the_home_server_sees_deployment_counts_but_no_hosts_pids_or_paths(store: Store) -> None:
    now = time.time()
    world(store, now)
    home = guild_status_report(store, GUILD_A, {}, home=True, now=now)
    assert (home.rejected_count, home.live_processes, home.rejected, home.members) == (1, 1, [], [])
    embed = render_embed(home, now=now)
    deployment = next(f["value"] for f in embed["fields"] if f["name"] == "Deployment")
    # The process count where processes may share the database (PostgreSQL); a lone SQLite process goes unsaid.
    one_process = "1 rejected story file." if store.single_process else "1 rejected story file, 1 live process."
    assert deployment.startswith(one_process)
    shown = json.dumps(embed)
    assert "db-host-7" not in shown and "4242" not in shown and "broken.md" not in shown


def test_a_channel_of_unknown_server_belongs_to_none_and_the_cache_completes_the_stored_mapping(store: Store) -> None:
    now = time.time()
    world(store, now)
    report = status_report(store, now=now)
    assert for_guild(report, GUILD_A, {}).channels == [], "no mapping: nothing is this server's"
    # The gateway's cache of the invoking server adds what was never stored.
    store.channel_guilds.remember({B1: GUILD_A + 1})  # B1 stored as some other server's
    cached = guild_status_report(store, GUILD_B, {B1: GUILD_B}, now=now)
    assert [a.channel_id for a in cached.channels] == [B1], "the live cache wins over a stored lookup"


def test_a_server_sees_its_own_channels_daily_cap_skips(store: Store) -> None:
    now = time.time()
    world(store, now)
    nowhere = make_planner(lambda s: [], announce=True, on_unpublish="delete")
    store.apply([parsed_file("c.md", 3, title="Over the cap")], nowhere)
    [(story_id, _story)] = [(i, s) for i, s in store.latest_published(None) if s.title == "Over the cap"]
    store.ledger.record([Action(ActionKind.CAP, story_id, (A1, B1))])
    assert status_report(store, now=now).capped == 2
    b = guild_status_report(store, GUILD_B, {}, now=now)
    assert b.capped == 1 and "Skipped over a daily cap: 1" in render_text(b)
