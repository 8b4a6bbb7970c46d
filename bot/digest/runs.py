"""A digest run's data: its plan, its outcome, what its claim keeps for a process taking it over, and its keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.digest.render import DigestMessage
from bot.store.digests import DigestRow, RunStatus


@dataclass(frozen=True, slots=True)
class DigestPlan:
    digest: DigestRow
    window_start: float
    window_end: float
    available: int  # new stories that matched the filters, before max_items
    messages: list[DigestMessage]

    @property
    def story_count(self) -> int:
        return sum(len(m.story_ids) for m in self.messages)

    @property
    def skipped(self) -> bool:
        return self.available < self.digest.spec.min_items or not self.messages


@dataclass(frozen=True, slots=True)
class ClaimedRun:
    """One claimed run: what its key's ``plan`` keeps, so a process taking it over posts exactly this."""

    digest: DigestRow
    run_key: str
    started_at: float
    window_start: float
    window_end: float
    messages: list[DigestMessage]

    def dump(self) -> str:
        messages = [{"payload": m.payload, "story_ids": list(m.story_ids)} for m in self.messages]
        saved = {"started_at": self.started_at, "window_start": self.window_start, "window_end": self.window_end}
        return json.dumps({**saved, "messages": messages}, ensure_ascii=False)

    @classmethod
    def load(cls, digest: DigestRow, run_key: str, text: str) -> ClaimedRun:
        """The run as ``dump`` kept it in its claim."""
        saved = json.loads(text)
        messages = [DigestMessage(m["payload"], tuple(m["story_ids"])) for m in saved["messages"]]
        return cls(digest, run_key, saved["started_at"], saved["window_start"], saved["window_end"], messages)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    status: RunStatus
    stories: int = 0
    message_ids: tuple[int, ...] = ()
    error: str | None = None
    plan: DigestPlan | None = None


def digest_nonce(digest_id: int, story_ids: tuple[int, ...]) -> str:
    """Same digest and stories → same nonce, so Discord drops a resend after a crash between post and record."""
    blob = f"digest\x00{digest_id}\x00{','.join(map(str, story_ids))}"
    return hashlib.sha256(blob.encode()).hexdigest()[:25]


def scheduled_run_key(digest: DigestRow, now: float) -> str:
    """``scheduled:<epoch>`` of the latest scheduled time at or before ``now`` (a late run keeps its time)."""
    fire = digest.spec.schedule.last_run(datetime.fromtimestamp(now, UTC))
    return f"scheduled:{int(fire.timestamp()) if fire is not None else int(now)}"
