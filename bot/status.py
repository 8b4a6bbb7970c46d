"""The status report behind ``/newsdesk status`` and ``newsdesk status``: one collection, two renderings.

``newsdesk status`` (the CLI, run by the operators) shows the whole deployment. ``/newsdesk status`` shows a
server only its own part (``for_guild``): a stranger who adds the bot to their server must not read another
server's channels, held titles or failures, nor the deployment's hosts, pids and file paths.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot import __version__
from bot.heartbeat import Liveness, describe, read_liveness
from bot.render.listing import abbreviate
from bot.render.text import clean_line, discord_timestamp, truncate
from bot.sharding import shard_of
from bot.store import Store
from bot.store.cluster import Member
from bot.store.meta_keys import MetaKey
from bot.store.newsroom import ChannelActivity, NewsroomStore
from bot.store.records import HeldStory

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


def member_text(m: Member, now: float) -> str:
    shards = ",".join(map(str, m.shards_held)) or "none"
    role = "standby, waiting for shards " + ",".join(map(str, m.shards_wanted)) if m.standby else f"shards {shards}"
    ingest = ", ingest" if m.ingest else ""
    return f"{clean_line(m.host)} pid {m.pid}: {role}{ingest} (last heartbeat {_ago(m.heartbeat_at, now)})"


def collect(
    store: Store,
    newsroom: NewsroomStore,
    *,
    queues: Mapping[int, int] | None = None,
    digests: Sequence[DigestLine] = (),
    now: float | None = None,
    embargo: bool = True,
    failure_samples: int = SHOWN_FAILURES,
) -> StatusReport:
    """Everything the report shows, read from the database (plus live queue sizes when given)."""
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
    )


def status_report(
    store: Store,
    *,
    queues: Mapping[int, int] | None = None,
    next_runs: Mapping[str, float | None] | None = None,
    now: float | None = None,
    embargo: bool = True,
    failure_samples: int = SHOWN_FAILURES,
) -> StatusReport:
    """The whole deployment's report (``newsdesk status``; ``guild_status_report`` for a server), from the database.

    ``next_runs`` (digest job id -> epoch) comes from a running scheduler; without it the next runs are read
    from the scheduler's job table, which is all a separate process such as the CLI can see.
    """
    digest_store = store.digests
    runs = digest_store.next_run_times() if next_runs is None else next_runs
    digests = [DigestLine(r.spec.name, r.spec.channel_id, runs.get(str(r.id))) for r in digest_store.all()]
    newsroom = store.newsroom
    return collect(
        store, newsroom, queues=queues, digests=digests, now=now, embargo=embargo, failure_samples=failure_samples
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
) -> StatusReport:
    """``/newsdesk status`` in one server: ``for_guild`` of the whole report. Which server a channel is in comes
    from the stored lookups and ``cached`` (channel → server, the gateway's cache of the invoking server)."""
    report = status_report(
        store, queues=queues, next_runs=next_runs, now=now, embargo=embargo, failure_samples=FAILURE_POOL
    )
    return for_guild(report, guild_id, {**store.channel_guilds.all(), **cached}, home=home)


def for_guild(report: StatusReport, guild_id: int, guilds: Mapping[int, int], *, home: bool = False) -> StatusReport:
    """The part of ``report`` one server may see: its own channels' activity, queues, failures, held stories
    and digests (a channel whose server is unknown belongs to none). Deployment-wide facts (rejected files and
    their paths, the cluster's hosts, pids and shards) are dropped; the home server (``discord.home_guild``)
    keeps two counts, so its admins know when to look at ``newsdesk status``."""

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
        guild_id=guild_id,
        home=home,
        live_processes=len(report.members) if home else None,
    )


def render_text(report: StatusReport, now: float | None = None) -> str:
    """Plain text for the terminal."""
    now = time.time() if now is None else now
    lines = [
        f"Newsdesk {report.version}",
        f"Status: {describe(report.liveness, now)}",
        *([f"Running since: {_ago(report.started_at, now)}"] if report.liveness.running and report.started_at else []),
        f"Stories: {report.stories} indexed, {report.published} published",
        f"Last scan: {_scan_text(report.last_scan, now)}",
        f"Rejected files: {report.rejected_count}",
        *[
            f"  - {line}"
            for line in abbreviate([r for _p, r in report.rejected], SHOWN_REJECTIONS, total=report.rejected_count)
        ],
        *(
            [f"Stories in two or more files (one webUrl; the first file defines it): {report.duplicates}"]
            if report.duplicates
            else []
        ),
        *[f"  - {', '.join(group)}" for group in report.duplicate_files],
        f"Failures in the last 24 h: {report.failures_24h}",
        *([f"Skipped over a daily cap: {report.capped}"] if report.capped else []),
        *[f"  - channel {ch}: '{title}': {error}" for ch, title, error in report.failure_samples],
        "Channels:",
        *[f"  - {_channel_text(a, report.queues, now, mention=False)}" for a in report.channels],
        *[f"  - channel {ch} waits: {why}" for ch, why in report.waiting.items()],
        *[f"  - channel {ch}: {n} not crossposted: {why}" for ch, (n, why) in report.unpublished.items()],
        f"Held until their date: {len(report.held)}",
        *[f"  - {line}" for line in abbreviate(map(_held_text, report.held), SHOWN_HELD)],
        "Digests:" if report.digests else "Digests: none",
        *[f"  - {d.name} → channel {d.channel_id}, next run {_when(d.next_run)}" for d in report.digests],
        f"Cluster: {len(report.members)} live process{'es' if len(report.members) != 1 else ''}",
        *[f"  - {member_text(m, now)}" for m in report.members],
        "Queue depth per shard: " + ", ".join(f"shard {n}: {d}" for n, d in sorted(report.shard_depth.items())),
    ]
    if not report.channels:
        lines.insert(lines.index("Channels:") + 1, "  (nothing posted yet)")
    return "\n".join(lines)


def render_embed(report: StatusReport, now: float | None = None) -> dict[str, Any]:
    """An embed dict for Discord, within its limits."""
    now = time.time() if now is None else now
    uptime = f"since {discord_timestamp(report.started_at, 'R')}" if report.started_at else "—"
    rejected = abbreviate(
        [truncate(clean_line(r), 180) for _p, r in report.rejected], SHOWN_REJECTIONS, total=report.rejected_count
    )
    failures = [truncate(clean_line(f"<#{ch}> '{t}': {err}"), 180) for ch, t, err in report.failure_samples]
    channels = [_channel_text(a, report.queues, now, mention=True) for a in report.channels]
    channels += [truncate(clean_line(f"<#{ch}> waits: {why}"), 180) for ch, why in report.waiting.items()]
    channels += [
        truncate(clean_line(f"<#{ch}>: {n} not crossposted: {why}"), 180) for ch, (n, why) in report.unpublished.items()
    ]
    held = abbreviate([_held_text(h, discord=True) for h in report.held], SHOWN_HELD)
    digests = [f"**{clean_line(d.name)}** → <#{d.channel_id}>, next {_when(d.next_run, True)}" for d in report.digests]
    members = [truncate(member_text(m, now), 180) for m in report.members]
    depth = ", ".join(f"shard {n}: {d}" for n, d in sorted(report.shard_depth.items()))
    fields: list[dict[str, Any]] = [
        {"name": "Stories", "value": f"{report.stories} indexed\n{report.published} published", "inline": True},
        {"name": "Last scan", "value": _scan_text(report.last_scan, now, discord=True), "inline": True},
        {"name": "Uptime", "value": uptime, "inline": True},
        *([{"name": "Skipped over a daily cap", "value": str(report.capped), "inline": True}] if report.capped else []),
        {"name": f"Failures in the last 24 h ({report.failures_24h})", "value": _bullets(failures) or "None"},
        {"name": "Channels: queue, last post", "value": _bullets(channels) or "Nothing posted yet"},
        {"name": f"Held until their date ({len(report.held)})", "value": _bullets(held) or "None"},
        {"name": "Digests", "value": _bullets(digests) or "None scheduled"},
    ]
    if report.guild_id is None:  # the whole deployment's report
        fields += [
            {"name": f"Rejected files ({report.rejected_count})", "value": _bullets(rejected) or "None"},
            {"name": f"Cluster ({len(report.members)} live)", "value": _bullets(members) or "No live process"},
            {"name": "Queue depth per shard", "value": depth or "None"},
        ]
    elif report.home:
        fields.append(_deployment_field(report))
    for item in fields:
        item["value"] = truncate(item["value"], 1024)
    return {"title": "Newsdesk status", "color": 0x2B6CB0, "fields": fields, "footer": {"text": f"v{report.version}"}}


def _deployment_field(report: StatusReport) -> dict[str, Any]:
    """The home server's glimpse of the whole deployment: counts only, the details stay in the CLI."""
    processes = report.live_processes or 0
    value = (
        f"{report.rejected_count} rejected story file{'s' if report.rejected_count != 1 else ''}, "
        f"{processes} live process{'es' if processes != 1 else ''}. Details: `newsdesk status` on the server."
    )
    return {"name": "Deployment", "value": value}


def _channel_text(a: ChannelActivity, queues: Mapping[int, int], now: float, *, mention: bool) -> str:
    name = f"<#{a.channel_id}>" if mention else f"channel {a.channel_id}"
    backlog = queues.get(a.channel_id, a.pending)
    if not a.last_post_at:
        last = "never"
    else:
        last = discord_timestamp(a.last_post_at, "R") if mention else _ago(a.last_post_at, now)
    text = f"{name}: {backlog} queued, {a.sent} posted, last post {last}"
    if a.failed_24h:
        text += f", {a.failed_24h} failed in 24 h"
    return text


def _held_text(h: HeldStory, discord: bool = False) -> str:
    """One held story: its title, release time (Discord's own timestamp, or ISO local time) and channels."""
    if discord:
        channels = ", ".join(f"<#{c}>" for c in h.channels)
        return truncate(f"'{clean_line(h.title)}' at {discord_timestamp(h.release_at, 'F')} → {channels}", 180)
    when = datetime.fromtimestamp(h.release_at).astimezone().isoformat(timespec="seconds")
    return f"'{clean_line(h.title)}' at {when} → channel{'s' if len(h.channels) > 1 else ''} " + ", ".join(
        map(str, h.channels)
    )


def _scan_text(scan: dict[str, Any] | None, now: float, discord: bool = False) -> str:
    if not scan:
        return "not yet"
    when = discord_timestamp(scan["at"], "R") if discord else _ago(scan["at"], now)
    return f"{when}, {scan['files']} files in {scan['seconds']:.2f}s"


def _when(moment: float | None, discord: bool = False) -> str:
    if moment is None:
        return "paused"
    if discord:
        return discord_timestamp(moment, "F")
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))


def _ago(moment: float | None, now: float) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int(now - moment))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)
