"""The status report behind ``/newsdesk status`` and ``newsdesk status``: one collection, two renderings
(``bot.render.status``).

``newsdesk status`` (the CLI, run by the operators) shows the whole deployment. ``/newsdesk status`` shows a
server only its own part (``for_guild``): a stranger who adds the bot to their server must not read another
server's channels, held titles or failures, nor the deployment's hosts, pids and file paths.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.heartbeat import Liveness, read_liveness
from bot.sharding import shard_of
from bot.store import Store
from bot.store.cluster import Member
from bot.store.meta_keys import MetaKey
from bot.store.newsroom import ChannelActivity, NewsroomStore
from bot.store.personal_stats import PersonalFigures
from bot.store.records import HeldStory

if TYPE_CHECKING:
    from bot.config import ChannelRoute

SHOWN_REJECTIONS = 5
SHOWN_HELD = 5
SHOWN_FAILURES = 5
# A server's view picks its failures from this many recent ones (the count itself is exact).
FAILURE_POOL = 200


@dataclass(frozen=True, slots=True)
class DigestLine:
    name: str
    channel_id: int
    next_run: float | None


@dataclass(slots=True)
class StatusReport:
    version: str
    started_at: float | None
    stories: int
    published: int
    rejected_count: int
    rejected: list[tuple[str, str]]
    last_scan: dict[str, Any] | None
    channels: list[ChannelActivity]
    queues: dict[int, int]  # live backlog per channel, when the bot is running in this process
    failures_24h: int
    failure_samples: list[tuple[int, str, str]]
    digests: list[DigestLine] = field(default_factory=list)
    liveness: Liveness = field(default_factory=lambda: Liveness(False))
    waiting: dict[int, str] = field(default_factory=dict)  # channel → why its deliveries wait
    # announcement routes with publish: channel → (posts not crossposted, why)
    unpublished: dict[int, tuple[int, str]] = field(default_factory=dict)
    capped: int = 0  # stories kept out of a channel by its route's daily_cap
    held: list[HeldStory] = field(default_factory=list)  # stories held until their date (embargo), soonest first
    members: list[Member] = field(default_factory=list)  # live processes of the cluster, oldest first
    shard_depth: dict[int, int] = field(default_factory=dict)  # shard → pending deliveries in the ledger
    guild_id: int | None = None  # one server's view (see ``for_guild``); None: the whole deployment
    home: bool = False  # that server is discord.home_guild: it also sees deployment-wide counts
    live_processes: int | None = None  # the home server's view: how many (never which hosts or pids)
    # Stories defined by two or more files (one canonical webUrl): how many, and some groups of their paths, the
    # file that defines the story first. Deployment-wide (file paths): the CLI's report only.
    duplicates: int = 0
    duplicate_files: list[list[str]] = field(default_factory=list)
    # Several live processes share the database, or it is PostgreSQL (where they may): only then do the cluster's
    # lines mean something. A lone SQLite process saying "Cluster: 0 live processes" only confuses a newcomer.
    clustered: bool = False
    names: dict[int, str] = field(default_factory=dict)  # channel → its name in the config's channels:
    # Members' own news: the deployment's figures, or in a server's view those of the follows made there.
    personal: PersonalFigures = field(default_factory=PersonalFigures)


def start_of_day(now: float) -> float:
    """Midnight UTC of ``now``'s day: "DMs sent today" counts from there."""
    return now - now % 86400


def cluster_view(store: Store, now: float) -> tuple[list[Member], dict[int, int]]:
    """Live members, and each shard's queue depth: pending ledger rows of the channels in its guilds."""
    cluster = store.cluster
    members = cluster.members(now)
    count = max((m.shard_count for m in members), default=1)
    guilds = store.channel_guilds.all()
    depth = dict.fromkeys(range(count), 0)
    for channel_id, pending in cluster.pending_by_channel().items():
        guild = guilds.get(channel_id)
        shard = 0 if guild is None else shard_of(guild, count)  # like events with no guild: shard 0
        depth[shard] = depth.get(shard, 0) + pending
    return members, depth


def collect(
    store: Store,
    newsroom: NewsroomStore,
    *,
    queues: Mapping[int, int] | None = None,
    digests: Sequence[DigestLine] = (),
    now: float | None = None,
    embargo: bool = True,
    failure_samples: int = SHOWN_FAILURES,
    names: Mapping[int, str] | None = None,
) -> StatusReport:
    """Everything the report shows, read from the database (plus live queue sizes and the config's channel names,
    when given)."""
    now = time.time() if now is None else now
    counts = store.counts()
    started = store.get_meta(MetaKey.STARTED)
    scan = store.get_meta(MetaKey.LAST_SCAN)
    failures, samples = newsroom.recent_failures(now - 86400, limit=failure_samples)
    live = read_liveness(store, now)
    waiting = json.loads(store.get_meta(MetaKey.WAITING_CHANNELS) or "{}") if live.running else {}
    members, depth = cluster_view(store, now)
    duplicates, duplicate_files = store.duplicate_files(limit=SHOWN_REJECTIONS)
    return StatusReport(
        version=__version__,
        started_at=float(started) if started else None,
        stories=counts["stories"],
        published=counts["published"],
        rejected_count=counts["rejected"],
        rejected=store.rejected_files(limit=SHOWN_REJECTIONS),
        last_scan=json.loads(scan) if scan else None,
        channels=newsroom.channel_activity(now),
        queues=dict(queues or {}),
        failures_24h=failures,
        failure_samples=samples,
        digests=list(digests),
        liveness=live,
        waiting={int(k): v for k, v in waiting.items()},
        unpublished=store.webhooks.unpublished(),
        capped=counts.get("capped", 0),
        held=store.ledger.held(now) if embargo else [],
        members=members,
        shard_depth=depth,
        duplicates=duplicates,
        duplicate_files=duplicate_files,
        clustered=not store.single_process or len(members) > 1,
        names=dict(names or {}),
        personal=store.personal_stats.figures(start_of_day(now)),
    )


def status_report(
    store: Store,
    *,
    queues: Mapping[int, int] | None = None,
    next_runs: Mapping[str, float | None] | None = None,
    now: float | None = None,
    embargo: bool = True,
    failure_samples: int = SHOWN_FAILURES,
    names: Mapping[int, str] | None = None,
) -> StatusReport:
    """The whole deployment's report (``newsdesk status``; ``guild_status_report`` for a server), from the database.

    ``next_runs`` (digest job id -> epoch) comes from a running scheduler; without it the next runs are read
    from the scheduler's job table, which is all a separate process such as the CLI can see. ``names`` (channel →
    name, ``channel_names``) labels the channels the way the config file does.
    """
    digest_store = store.digests
    runs = digest_store.next_run_times() if next_runs is None else next_runs
    digests = [DigestLine(r.spec.name, r.spec.channel_id, runs.get(str(r.id))) for r in digest_store.all()]
    newsroom = store.newsroom
    return collect(
        store,
        newsroom,
        queues=queues,
        digests=digests,
        now=now,
        embargo=embargo,
        failure_samples=failure_samples,
        names=names,
    )


def guild_status_report(
    store: Store,
    guild_id: int,
    cached: Mapping[int, int],
    *,
    home: bool = False,
    queues: Mapping[int, int] | None = None,
    next_runs: Mapping[str, float | None] | None = None,
    now: float | None = None,
    embargo: bool = True,
    names: Mapping[int, str] | None = None,
) -> StatusReport:
    """``/newsdesk status`` in one server: ``for_guild`` of the whole report. Which server a channel is in comes
    from the stored lookups and ``cached`` (channel → server, the gateway's cache of the invoking server)."""
    report = status_report(
        store, queues=queues, next_runs=next_runs, now=now, embargo=embargo, failure_samples=FAILURE_POOL, names=names
    )
    now = time.time() if now is None else now
    personal = store.personal_stats.figures(start_of_day(now), guild_id)
    return for_guild(report, guild_id, {**store.channel_guilds.all(), **cached}, home=home, personal=personal)


def for_guild(
    report: StatusReport,
    guild_id: int,
    guilds: Mapping[int, int],
    *,
    home: bool = False,
    personal: PersonalFigures | None = None,
) -> StatusReport:
    """The part of ``report`` one server may see: its own channels' activity, queues, failures, held stories
    and digests (a channel whose server is unknown belongs to none). Deployment-wide facts (rejected files and
    their paths, the cluster's hosts, pids and shards) are dropped; the home server (``discord.home_guild``)
    keeps two counts, so its admins know when to look at ``newsdesk status``. ``personal``: the server's own
    personal-news figures (``PersonalStats.figures`` with its id); the deployment's are never shown to it."""

    def ours(channel_id: int) -> bool:
        return guilds.get(channel_id) == guild_id

    channels = [a for a in report.channels if ours(a.channel_id)]
    held = [replace(h, channels=mine) for h in report.held if (mine := tuple(c for c in h.channels if ours(c)))]
    return replace(
        report,
        rejected=[],
        rejected_count=report.rejected_count if home else 0,
        channels=channels,
        queues={c: n for c, n in report.queues.items() if ours(c)},
        failures_24h=sum(a.failed_24h for a in channels),
        failure_samples=[f for f in report.failure_samples if ours(f[0])][:SHOWN_FAILURES],
        digests=[d for d in report.digests if ours(d.channel_id)],
        waiting={c: why for c, why in report.waiting.items() if ours(c)},
        unpublished={c: v for c, v in report.unpublished.items() if ours(c)},
        capped=sum(a.capped for a in channels),
        held=held,
        members=[],
        shard_depth={},
        duplicates=0,
        duplicate_files=[],
        names={c: name for c, name in report.names.items() if ours(c)},
        guild_id=guild_id,
        home=home,
        live_processes=len(report.members) if home else None,
        personal=personal or PersonalFigures(),
    )


def channel_names(routes: Iterable[ChannelRoute]) -> dict[int, str]:
    """Channel → the name its config route gives it (``channels[].name``; a ``/feed add`` route has none)."""
    return {r.channel_id: r.name for r in routes if r.name}
