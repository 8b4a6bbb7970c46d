"""The status report rendered: plain text for ``newsdesk status``, an embed dict for ``/newsdesk status``.

Channels are named as the config file names them, the id beside; the cluster's lines appear only where several
processes share the database (``StatusReport.clustered``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.heartbeat import describe
from bot.render.listing import abbreviate
from bot.render.text import clean_line, discord_timestamp, truncate
from bot.status import SHOWN_HELD, SHOWN_REJECTIONS, StatusReport

if TYPE_CHECKING:
    from bot.store.cluster import Member
    from bot.store.newsroom import ChannelActivity
    from bot.store.personal_stats import PersonalFigures
    from bot.store.records import HeldStory


def render_text(report: StatusReport, now: float | None = None) -> str:
    """Plain text for the terminal."""
    now = time.time() if now is None else now

    def where(channel_id: int) -> str:
        return channel_label(channel_id, report.names, mention=False)

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
        *[f"  - {where(ch)}: '{title}': {error}" for ch, title, error in report.failure_samples],
        "Channels:",
        *[f"  - {_channel_text(a, report, now, mention=False)}" for a in report.channels],
        *[f"  - {where(ch)} waits: {why}" for ch, why in report.waiting.items()],
        *[f"  - {where(ch)}: {n} not crossposted: {why}" for ch, (n, why) in report.unpublished.items()],
        f"Held until their date: {len(report.held)}",
        *[f"  - {line}" for line in abbreviate((_held_text(h, report.names) for h in report.held), SHOWN_HELD)],
        "Digests:" if report.digests else "Digests: none",
        *[f"  - {d.name} → {where(d.channel_id)}, next run {_when(d.next_run)}" for d in report.digests],
    ]
    lines += ["Personal news:", *[f"  - {line}" for line in personal_lines(report.personal)]]
    if report.clustered:
        lines += [
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

    def where(channel_id: int) -> str:
        return channel_label(channel_id, report.names, mention=True)

    failures = [truncate(clean_line(f"{where(ch)} '{t}': {err}"), 180) for ch, t, err in report.failure_samples]
    channels = [_channel_text(a, report, now, mention=True) for a in report.channels]
    channels += [truncate(clean_line(f"{where(ch)} waits: {why}"), 180) for ch, why in report.waiting.items()]
    channels += [
        truncate(clean_line(f"{where(ch)}: {n} not crossposted: {why}"), 180)
        for ch, (n, why) in report.unpublished.items()
    ]
    held = abbreviate([_held_text(h, report.names, discord=True) for h in report.held], SHOWN_HELD)
    digests = [
        f"**{clean_line(d.name)}** → {where(d.channel_id)}, next {_when(d.next_run, True)}" for d in report.digests
    ]
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
        {"name": "Personal news", "value": _bullets(personal_lines(report.personal))},
    ]
    if report.guild_id is None:  # the whole deployment's report
        fields.append({"name": f"Rejected files ({report.rejected_count})", "value": _bullets(rejected) or "None"})
    if report.guild_id is None and report.clustered:
        fields += [
            {"name": f"Cluster ({len(report.members)} live)", "value": _bullets(members) or "No live process"},
            {"name": "Queue depth per shard", "value": depth or "None"},
        ]
    elif report.home:
        fields.append(_deployment_field(report))
    for item in fields:
        item["value"] = truncate(item["value"], 1024)
    return {"title": "Newsdesk status", "color": 0x2B6CB0, "fields": fields, "footer": {"text": f"v{report.version}"}}


def personal_lines(figures: PersonalFigures) -> list[str]:
    """Followers and their follows, today's DMs and the paused members, as counts (never who)."""
    if figures.empty:
        return ["No member follows anything yet"]
    kinds = ", ".join(f"{n} {_plural(kind, n)}" for kind, n in figures.follows.items())
    paused = figures.paused_dms_closed + figures.paused_by_member
    return [
        f"{figures.followers} {'follower' if figures.followers == 1 else 'followers'} (follows: {kinds})",
        f"DMs: {figures.dms_sent} sent today (UTC), {figures.dms_waiting} waiting",
        f"Paused: {paused} ({figures.paused_dms_closed} with DMs closed, {figures.paused_by_member} by themselves)",
    ]


def _plural(kind: str, n: int) -> str:
    # "words" follows are phrases: "3 words" reads as three phrases already.
    return kind if n == 1 or kind == "words" else f"{kind}s"


def _deployment_field(report: StatusReport) -> dict[str, Any]:
    """The home server's glimpse of the whole deployment: counts only, the details stay in the CLI."""
    processes = report.live_processes or 0
    rejected = f"{report.rejected_count} rejected story file{'s' if report.rejected_count != 1 else ''}"
    # The process count only where several share the database: one process is the one answering.
    cluster = f", {processes} live process{'es' if processes != 1 else ''}" if report.clustered else ""
    value = f"{rejected}{cluster}. Details: `newsdesk status` on the server."
    return {"name": "Deployment", "value": value}


def channel_label(channel_id: int, names: Mapping[int, str], *, mention: bool) -> str:
    """A channel as the operator named it, its id beside: ``news (channel 1234)``, or ``news (<#1234>)`` in Discord;
    a channel the config does not name is its id alone."""
    where = f"<#{channel_id}>" if mention else f"channel {channel_id}"
    name = names.get(channel_id)
    return f"{clean_line(name)} ({where})" if name else where


def _channel_text(a: ChannelActivity, report: StatusReport, now: float, *, mention: bool) -> str:
    name = channel_label(a.channel_id, report.names, mention=mention)
    backlog = report.queues.get(a.channel_id, a.pending)
    if not a.last_post_at:
        last = "never"
    else:
        last = discord_timestamp(a.last_post_at, "R") if mention else _ago(a.last_post_at, now)
    text = f"{name}: {backlog} queued, {a.sent} posted, last post {last}"
    if a.failed_24h:
        text += f", {a.failed_24h} failed in 24 h"
    return text


def _held_text(h: HeldStory, names: Mapping[int, str], discord: bool = False) -> str:
    """One held story: its title, release time (Discord's own timestamp, or ISO local time) and channels."""
    channels = ", ".join(channel_label(c, names, mention=discord) for c in h.channels)
    if discord:
        return truncate(f"'{clean_line(h.title)}' at {discord_timestamp(h.release_at, 'F')} → {channels}", 180)
    if not any(c in names for c in h.channels):  # ids only: "channels 7, 8" reads better than "channel 7, channel 8"
        channels = f"channel{'s' if len(h.channels) > 1 else ''} " + ", ".join(map(str, h.channels))
    when = datetime.fromtimestamp(h.release_at).astimezone().isoformat(timespec="seconds")
    return f"'{clean_line(h.title)}' at {when} → {channels}"


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


def member_text(m: Member, now: float) -> str:
    shards = ",".join(map(str, m.shards_held)) or "none"
    role = "standby, waiting for shards " + ",".join(map(str, m.shards_wanted)) if m.standby else f"shards {shards}"
    ingest = ", ingest" if m.ingest else ""
    return f"{clean_line(m.host)} pid {m.pid}: {role}{ingest} (last heartbeat {_ago(m.heartbeat_at, now)})"
