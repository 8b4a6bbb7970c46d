"""What the fake's gateway recorded: connected sessions, IDENTIFY payloads, connection queries and RESUMEs
(a mixin of ``FakeDiscord``, apart from ``harness.py`` to keep it one readable page)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import FakeServer
    from .store import FakeState


class GatewayRecordsMixin:
    state: FakeState
    server: FakeServer

    @property
    def connected_sessions(self) -> int:
        return len(self.server.gateway.connected())

    @property
    def identify_payloads(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.rec.identifies)

    @property
    def identify_count(self) -> int:
        with self.state.lock:
            return len(self.state.rec.identifies)

    @property
    def gateway_queries(self) -> list[dict[str, str]]:
        """Query strings of every gateway connection (e.g. ``{"v": "10", "compress": "zlib-stream"}``)."""
        with self.state.lock:
            return copy.deepcopy(self.state.rec.gateway_connects)

    @property
    def resume_count(self) -> int:
        with self.state.lock:
            return self.state.rec.resume_count
