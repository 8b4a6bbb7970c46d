"""Failure injection and waiting helpers mixed into ``FakeDiscord``."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .ratelimit import Rate
from .store import Failure, FakeState, Hold
from .world import role_object

log = logging.getLogger(__name__)

T = TypeVar("T")
# How long a wait for something that must happen may take before the test fails. Generous on purpose: the suites
# run in parallel (pytest-xdist) on shared machines, where a bot process can take 20 s to start; a wait that is met
# returns at once, so the budget costs nothing in a passing run. Bounds the product promises (a takeover within
# 15 s) pass their own, smaller timeout.
PATIENCE = 60.0


class ControlMixin:
    state: FakeState
    if TYPE_CHECKING:  # read-only properties of FakeDiscord

        @property
        def requests(self) -> list[dict[str, Any]]: ...
        @property
        def connected_sessions(self) -> int: ...
        @property
        def count_429(self) -> int: ...
        def dispatch(self, event: str, data: dict[str, Any]) -> int: ...

    # ----- failure injection ---------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        count: int = 1,
        body: dict[str, Any] | None = None,
        retry_after: float = 0.5,
    ) -> None:
        """Answer the next ``count`` matching requests (regex on the path after /api/v10) with ``status``."""
        failure = Failure(
            method=method.upper(),
            pattern=re.compile(path_pattern),
            status=status,
            count=count,
            body=body,
            retry_after=retry_after,
        )
        with self.state.lock:
            self.state.failures.append(failure)

    def forbid_channel(self, channel_id: int) -> None:
        with self.state.lock:
            self.state.forbidden_channels.add(int(channel_id))

    def allow_channel(self, channel_id: int) -> None:
        with self.state.lock:
            self.state.forbidden_channels.discard(int(channel_id))

    def set_overwrites(self, channel_id: int, overwrites: list[dict[str, Any]]) -> None:
        """Replace a channel's permission overwrites (``{id, type, allow, deny}``; type 0 role, 1 member)."""
        with self.state.lock:
            found = self.state.channel(int(channel_id))
            if found is None:
                raise ValueError(f"unknown channel {channel_id}")
            found[1].permission_overwrites = [
                {
                    "id": str(o["id"]),
                    "type": o.get("type", 0),
                    "allow": str(o.get("allow", 0)),
                    "deny": str(o.get("deny", 0)),
                }
                for o in overwrites
            ]

    def update_role(self, role_id: int, **changes: Any) -> dict[str, Any]:
        """Change a role (``permissions``, ``position``, ``managed``, ...) and dispatch GUILD_ROLE_UPDATE
        ``{guild_id, role}``, as Discord does when an admin edits it (GUILDS intent)."""
        with self.state.lock:
            found = next(((g, r) for g in self.state.guilds for r in g.roles if r.id == int(role_id)), None)
            if found is None:
                raise ValueError(f"unknown role {role_id}")
            guild, role = found
            for name, value in changes.items():
                if not hasattr(role, name):
                    raise ValueError(f"a role has no {name!r}")
                setattr(role, name, value)
            data = {"guild_id": str(guild.id), "role": role_object(role, self.state.config.bot_id)}
        self.dispatch("GUILD_ROLE_UPDATE", data)
        return data

    def forbid_roles(self) -> None:
        with self.state.lock:
            self.state.roles_forbidden = True

    def allow_roles(self) -> None:
        with self.state.lock:
            self.state.roles_forbidden = False

    def set_delay(self, seconds: float) -> None:
        """Add latency to every message POST."""
        with self.state.lock:
            self.state.delay = float(seconds)

    def hold_posts(self, channel_id: int, *, after: int) -> None:
        """Once the channel has ``after`` messages, its message POSTs hang unanswered (``held_posts`` counts them)
        until ``release_posts``, then fail with 503 and create nothing: a post lost with its dying sender."""
        with self.state.lock:
            self.state.holds[int(channel_id)] = after

    def release_posts(self) -> None:
        with self.state.lock:
            self.state.holds.clear()

    @property
    def held_posts(self) -> int:
        with self.state.lock:
            return self.state.held

    def hold(self, method: str, path_pattern: str, *, answered: bool) -> None:
        """Matching requests (regex on the path after /api/v10) hang until ``release_holds``. ``answered=False``:
        before Discord acts, and then they fail with 503 having changed nothing (a send lost with its sender);
        ``answered=True``: after Discord acted, before its answer leaves (a sender killed meanwhile never learns
        what it made). ``held_requests`` counts the hanging ones."""
        with self.state.lock:
            self.state.request_holds.append(Hold(method.upper(), re.compile(path_pattern), answered))

    def release_holds(self) -> None:
        with self.state.lock:
            self.state.request_holds.clear()

    @property
    def held_requests(self) -> int:
        with self.state.lock:
            return self.state.held_requests

    def archive_thread(self, thread_id: int) -> None:
        """As Discord does after a thread's ``auto_archive_duration`` of inactivity."""
        with self.state.lock:
            found = self.state.channel(int(thread_id))
            if found is None:
                raise ValueError(f"unknown thread {thread_id}")
            found[1].archived = True

    def set_channel_rate(self, rate: Rate | None) -> None:
        with self.state.lock:
            self.state.limiter.channel_rate = rate

    # ----- waiting -------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[], T | None], timeout: float = PATIENCE, interval: float = 0.02) -> T:
        """Poll ``predicate`` until it returns something truthy (exceptions count as "not yet")."""
        deadline = time.monotonic() + timeout
        while True:
            last_error: BaseException | None = None
            try:
                result = predicate()
            except Exception as exc:
                result, last_error = None, exc
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_message(predicate, timeout, result, last_error))
            time.sleep(interval)

    # Running out fails with a message naming the predicate, which asyncio.timeout can't give.
    async def wait_for_async(
        self,
        predicate: Callable[[], T | None],
        timeout: float = PATIENCE,  # noqa: ASYNC109
        interval: float = 0.02,
    ) -> T:
        """``wait_for`` for code running on its own event loop (bench scripts, async tests)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = predicate()
            except Exception:
                result = None
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_message(predicate, timeout, result, None))
            await asyncio.sleep(interval)

    def _timeout_message(
        self, predicate: Callable[[], Any], timeout: float, result: Any, error: BaseException | None
    ) -> str:
        try:
            source = inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            source = getattr(predicate, "__qualname__", repr(predicate))
        recent = [f"{r['method']} {r['path']} -> {r['status']}" for r in self.requests[-8:]]
        return (
            f"wait_for timed out after {timeout:.1f}s: {source}\n  last result: {result!r}"
            + (f"\n  last error: {error!r}" if error else "")
            + f"\n  gateway sessions: {self.connected_sessions}, 429s sent: {self.count_429}"
            + "\n  recent requests:\n    "
            + ("\n    ".join(recent) or "(none)")
        )
