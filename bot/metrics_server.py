"""``GET /healthz`` and ``GET /metrics`` on ``metrics.host``:``metrics.port``, one small aiohttp server per process.

``newsdesk run`` starts it before the feed and stops it last; a port already in use is one line naming
``metrics.port`` (``MetricsPortError``), never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.config import ConfigError
from bot.heartbeat import read_liveness
from bot.metrics import Metrics
from bot.store import Store

log = logging.getLogger(__name__)

Health = tuple[int, dict[str, Any]]  # (HTTP status, JSON body)
HealthCheck = Callable[[], Awaitable[Health]]
STORE_TIMEOUT = 5.0  # a health check must answer even when the database hangs


class MetricsPortError(ConfigError):
    """The metrics server could not listen; ``str()`` names ``metrics.port`` and the reason (exit status 2)."""


def store_health(store: Store, metrics: Metrics) -> HealthCheck:
    """200 while the store answers (it reads the heartbeat row), 503 when it does not."""

    async def check() -> Health:
        body: dict[str, Any] = {"status": "ok", "roles": metrics.held_roles(), "last_heartbeat": None, "store": "ok"}
        try:
            live = await asyncio.wait_for(store.run_concurrent(read_liveness, store), timeout=STORE_TIMEOUT)
        except Exception as exc:  # a boundary: health answers for whatever failed (a closed store raises RuntimeError)
            reason = "no answer" if isinstance(exc, TimeoutError) else type(exc).__name__
            log.warning("Health check: the store is unreachable (%s)", reason)
            return 503, body | {"status": "unavailable", "store": f"unreachable: {reason}"}
        return 200, body | {"last_heartbeat": live.heartbeat_at}

    return check


def make_app(metrics: Metrics, health: HealthCheck) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        status, body = await health()
        return web.json_response(body, status=status)

    async def scrape(request: web.Request) -> web.Response:
        body = await metrics.scrape()
        # CONTENT_TYPE_LATEST carries its charset; aiohttp wants it in the raw header, not content_type=.
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
    return app


class MetricsServer:
    def __init__(self, metrics: Metrics, health: HealthCheck, *, host: str, port: int) -> None:
        self._app = make_app(metrics, health)
        self._host = host
        self.port = port  # the bound port once started (port 0 picks a free one)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self._app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise MetricsPortError("metrics.port", f"cannot listen on {self._host}:{self.port}: {why}") from None
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("Serving /healthz and /metrics on http://%s:%d", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def serve_metrics(metrics: Metrics | None, store: Store, *, host: str, port: int | None) -> MetricsServer | None:
    """Start the server when ``metrics.port`` is set (None: off, nothing is started)."""
    if metrics is None or port is None:
        return None
    server = MetricsServer(metrics, store_health(store, metrics), host=host, port=port)
    await server.start()
    return server
