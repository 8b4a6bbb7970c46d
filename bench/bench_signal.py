"""Community signal under load (issue 19): the real bot against the fake Discord, a few hundred posted stories (a
third with a discussion thread or as forum posts), then a sustained stream of reaction adds and removes and thread
replies dispatched by the fake at increasing rates, while ``/news`` is asked every 100 ms.

Per rate: events sent (and the rate the fake managed), events the bot dropped (its counter's log line), how long
after the stream the stored counts equalled the events' own tally (``signal_counts`` read from the bot's SQLite
file), hence events absorbed per second, and ``/news``'s time to its answer (interaction sent -> callback, or the
follow-up of a deferred one) against the same with no events; the bot's CPU share and peak memory (bench/_memory.py).
Targets: every count right (nothing dropped or lost), /news p95 within 3 s (Discord's window) at every rate.
Usage: python bench/bench_signal.py [--stories 300] [--rates 100,500,1000,2000,5000] [--seconds 10] [--quick]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import FakeDiscord, machine  # noqa: E402
from bench._memory import TreeSampler  # noqa: E402
from bench._signal_world import NEWS, PROBERS, Events, make_fake, mismatch, post_stories, start_bot, stored  # noqa: E402
from tests.botprocess import BotProcess  # noqa: E402
from tests.fakediscord.routes_signal import StreamReport  # noqa: E402

PROBE_EVERY = 0.1
# Each sample reads every process's /proc/PID/stat; the fake's stream shares this process's GIL with it.
SAMPLE_EVERY = 0.5
DISCORD_WINDOW_MS = 3000.0
DROPPED = re.compile(r"Signal events arrive faster than they are counted: (\d+) dropped")


@dataclass
class Phase:
    rate: float  # asked; 0 = no events
    report: StreamReport | None
    answers_ms: list[float]
    unanswered: int
    settled_s: float | None  # after the stream's last event; None: the counts never matched
    mismatch: int  # sum of |stored - expected| over every count when they did not
    dropped: int
    cpu_percent: float
    pss_mb: float
    load: float


# ----- measuring ------------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Prober:
    """``/news`` every ``PROBE_EVERY`` seconds from members taking turns (its per-member cooldown stays out of it)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.turn = 0

    def run(self, until: threading.Event | float) -> list[tuple[int, str, float]]:
        sent: list[tuple[int, str, float]] = []
        next_at = time.monotonic()
        while not (until.is_set() if isinstance(until, threading.Event) else time.monotonic() >= until):
            user = PROBERS[self.turn % len(PROBERS)]
            self.turn += 1
            probe = self.fake.send_interaction(2, name="news", channel_id=NEWS, user_id=user)
            sent.append((probe.id, probe.token, time.time()))  # once the fake has written it to the bot
            next_at += PROBE_EVERY
            time.sleep(max(0.0, next_at - time.monotonic()))
        return sent

    def answers(self, sent: list[tuple[int, str, float]]) -> tuple[list[float], int]:
        """Each probe's time to its answer in ms (sorted), and how many got none within Discord's window."""
        wanted = {iid for iid, _, _ in sent}
        with suppress(AssertionError):  # what never came is counted below
            self.fake.wait_for(lambda: wanted <= {c["interaction_id"] for c in self.fake.callbacks}, timeout=30)
        first: dict[int, dict[str, Any]] = {}
        for callback in self.fake.callbacks:
            first.setdefault(callback["interaction_id"], callback)
        followups = {
            r["path"].rsplit("/", 1)[1]: r["time"] for r in self.fake.requests_to("POST", r"^/webhooks/\d+/[^/]+$")
        }
        times: list[float] = []
        for iid, token, at in sent:
            got = first.get(iid)
            answered = got and (followups.get(token) if got["type"] == 5 else got["time"])
            if answered:
                times.append((answered - at) * 1000)
        late = sum(1 for t in times if t > DISCORD_WINDOW_MS) + len(sent) - len(times)
        return sorted(times), late


def dropped(bot: BotProcess) -> int:
    found = [int(m.group(1)) for line in bot.log_text().splitlines() if (m := DROPPED.search(line))]
    return max(found, default=0)


def run_phase(bot: BotProcess, events: Events, rate: float, seconds: float) -> Phase:
    fake, db = bot.fake, bot.workdir / "data" / "newsdesk.db"
    assert bot.proc is not None
    pid, prober = bot.proc.pid, Prober(fake)
    batch = events.take(int(rate * seconds))
    want = events.tally.expected()
    sampler, cpu0, wall0 = TreeSampler(pid, every=SAMPLE_EVERY).start(), cpu_seconds(pid), time.monotonic()
    report: StreamReport | None = None
    if batch:
        done = threading.Event()
        results: list[StreamReport] = []

        def stream() -> None:
            try:
                results.append(fake.stream_signal_events(batch, rate))
            finally:
                done.set()

        threading.Thread(target=stream, name="signal-stream", daemon=True).start()
        sent = prober.run(done)
        report = results[0] if results else None
    else:
        sent = prober.run(time.monotonic() + seconds)
    settled: float | None = None
    end = report.finished if report else time.time()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if mismatch(stored(db), want) == 0:
            settled = max(0.0, time.time() - end)
            break
        time.sleep(0.05)
    cpu = 100 * (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0)
    memory = sampler.stop()
    answers, late = prober.answers(sent)
    return Phase(
        rate, report, answers, late, settled, mismatch(stored(db), want), dropped(bot), cpu, memory.tree_pss_mb,
        os.getloadavg()[0],
    )  # fmt: skip


# ----- the report -----------------------------------------------------------------------------------------------


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))] if values else float("nan")


def row(phase: Phase) -> str:
    times = phase.answers_ms
    if times:
        news = f"{len(times):>4} {statistics.median(times):>7.1f} {pct(times, 0.95):>7.1f} {times[-1]:>7.1f}"
    else:
        news = f"{0:>4} {'-':>7} {'-':>7} {'-':>7}"
    news += f" {phase.unanswered:>4}"
    if phase.report is None:
        signal = f"{'none':>6} {'-':>7} {'-':>7} {'-':>6} {'-':>7} {'-':>8} {'-':>5}"
    else:
        sent, span = phase.report.sent, phase.report.finished - phase.report.started
        settled = f"{phase.settled_s:.2f}" if phase.settled_s is not None else "never"
        absorbed = f"{sent / (span + phase.settled_s):.0f}" if phase.settled_s is not None else "-"
        right = "yes" if phase.mismatch == 0 else f"off {phase.mismatch}"
        signal = (
            f"{phase.rate:>6.0f} {phase.report.rate:>7.0f} {sent:>7} {phase.dropped:>6} {settled:>7} {absorbed:>8} "
            f"{right:>5}"
        )
    return f"{signal} | {news} | {phase.cpu_percent:>5.0f} {phase.pss_mb:>6.0f} {phase.load:>5.2f}"


HEADER = (
    f"{'asked':>6} {'sent/s':>7} {'events':>7} {'drop':>6} {'settle':>7} {'absorb/s':>8} {'right':>5} | "
    f"{'/news':>4} {'median':>7} {'p95':>7} {'max':>7} {'>3s':>4} | {'CPU%':>5} {'PSS MB':>6} {'load':>5}"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--rates", default="100,500,1000,2000,5000", help="events per second, one phase each")
    parser.add_argument("--seconds", type=float, default=10.0, help="each phase's length")
    parser.add_argument("--quick", action="store_true", help="60 stories, rates 200 and 2000, 3 s each")
    args = parser.parse_args()
    if args.quick:
        args.stories, args.rates, args.seconds = 60, "200,2000", 3.0
    rates = [float(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory(prefix="newsdesk-signal-") as tmp, make_fake() as fake:
        bot = start_bot(Path(tmp), fake)
        assert bot.proc is not None
        whole = TreeSampler(bot.proc.pid, every=SAMPLE_EVERY).start()
        try:
            bot.wait_for_log("Signal counts reconciled")  # the first session's pass (nothing posted yet)
            stories = post_stories(bot, args.stories)
            events = Events(stories)
            phases = [run_phase(bot, events, 0.0, args.seconds)]
            phases += [run_phase(bot, events, rate, args.seconds) for rate in rates]
        finally:
            memory = whole.stop()
            bot.stop()
    threads = sum(1 for p in stories if p.thread_id is not None)
    print(f"machine: {machine()}; {cpu_model()}; nproc {os.cpu_count()}")
    print(
        f"{len(stories)} posted stories ({threads} with a discussion thread or as forum posts); each phase "
        f"{args.seconds:.0f} s of events (55% reaction adds, 25% removes, 20% replies), /news every "
        f"{PROBE_EVERY * 1000:.0f} ms; times in ms"
    )
    print(HEADER)
    for phase in phases:
        print(row(phase))
    print(
        f"bot peak memory: {memory.tree_pss_mb:.0f} MB PSS for the process and its {len(memory.child_hwm_mb)} "
        f"children (main process peak RSS {memory.root_hwm_mb:.0f} MB)"
    )
    misses = [p for p in phases if p.mismatch or p.unanswered or pct(p.answers_ms, 0.95) > DISCORD_WINDOW_MS]
    for phase in misses:
        print(f"MISSED at {phase.rate:.0f}/s: counts off by {phase.mismatch}, {phase.unanswered} /news late or lost")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
