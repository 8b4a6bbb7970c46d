"""Peak memory of one process and its descendants, sampled from ``/proc`` (Linux).

``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the largest of *every* child the process ever waited for (any
subprocess, not only the parse workers), and adding it to the parent's double-counts the pages they share. This
samples the tree instead: each process's own ``VmHWM`` (its kernel-kept peak RSS), and the tree's summed RSS and
PSS (shared pages split between the processes that map them) at each sample, keeping the largest.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (children, grandchildren…), from each process's parent pid."""
    parent: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name in parentheses may hold spaces: the fields after its closing one are fixed.
            fields = stat[stat.rfind(")") + 2 :].split()
            parent[int(entry.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parent.items() if pp == pid]
        found += kids
        frontier += kids
    return found


@dataclass
class TreePeak:
    root_hwm_mb: float = 0.0  # the root process's own peak RSS
    child_hwm_mb: dict[int, float] = field(default_factory=dict)  # each descendant's own peak RSS, by pid
    tree_rss_mb: float = 0.0  # the largest sampled sum of RSS over the tree (shared pages counted in each)
    tree_pss_mb: float = 0.0  # the largest sampled sum of PSS over the tree (shared pages split): honest total

    @property
    def largest_child_mb(self) -> float:
        return max(self.child_hwm_mb.values(), default=0.0)


class TreeSampler:
    """Samples ``root``'s tree every ``every`` seconds in a thread, between ``start()`` and ``stop()``."""

    def __init__(self, root: int | None = None, every: float = 0.05) -> None:
        self.root = root or os.getpid()
        self.every = every
        self.peak = TreePeak()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> TreePeak:
        self._stop.set()
        self._thread.join()
        self.sample()
        return self.peak

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        peak = self.peak
        peak.root_hwm_mb = max(peak.root_hwm_mb, _status_kb(self.root, "VmHWM") / 1024)
        rss = _status_kb(self.root, "VmRSS")
        pss = _pss_kb(self.root)
        for pid in descendants(self.root):
            hwm = _status_kb(pid, "VmHWM") / 1024
            peak.child_hwm_mb[pid] = max(peak.child_hwm_mb.get(pid, 0.0), hwm)
            rss += _status_kb(pid, "VmRSS")
            pss += _pss_kb(pid)
        peak.tree_rss_mb = max(peak.tree_rss_mb, rss / 1024)
        peak.tree_pss_mb = max(peak.tree_pss_mb, pss / 1024)
