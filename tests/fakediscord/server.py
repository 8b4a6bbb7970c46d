"""aiohttp application: REST under ``/api/v10`` and the gateway websocket at ``/gateway``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from . import routes_app, routes_channels, routes_dms, routes_guilds, routes_kinds, routes_webhooks
from .attachments import FileFormError, attach
from .gateway import Gateway
from .ratelimit import RateLimiter, rate_limited_body, rate_limited_headers
from .responses import BODY, FILES, error, json_response
from .store import FakeState

log = logging.getLogger(__name__)

API = "/api/v10"
OPEN_PREFIXES = ("/interactions/", "/webhooks/")  # no bot token, no global limit (like Discord)
GUILD_MESSAGES, EPHEMERAL = 1 << 9, 1 << 6
MAJOR_PARAMS = ("cid", "gid", "app", "token")
MESSAGE_POST_ROUTE = f"{API}/channels/{{cid}}/messages"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEFAULT_ERRORS = {
    403: {"code": 50013, "message": "Missing Permissions"},
    404: {"code": 0, "message": "404: Not Found"},
    500: {"code": 0, "message": "500: Internal Server Error"},
    502: {"code": 0, "message": "502: Bad Gateway"},
    503: {"code": 0, "message": "503: Service Unavailable"},
    504: {"code": 0, "message": "504: Gateway Timeout"},
}


class FakeServer:
    def __init__(self, state: FakeState, gateway_url: Callable[[], str]) -> None:
        self.state = state
        self.gateway = Gateway(state, gateway_url)
        self.gateway_url = gateway_url
        self.app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self.app.router.add_get("/gateway", self.gateway.handle)
        self.app.router.add_get("/gateway/", self.gateway.handle)
        self.dms = routes_dms.register(self)  # first: its message routes answer for DM channels
        routes_channels.register(self)
        routes_kinds.register(self)
        self.channel_webhooks = routes_webhooks.register(self)
        routes_app.register(self)
        routes_guilds.register(self)

    @property
    def limiter(self) -> RateLimiter:
        return self.state.limiter

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.app.router.add_route(method, API + path, handler)

    # ----- middleware ----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API + "/"):
            return await handler(request)
        started = time.time()
        sub = request.path[len(API) :]
        body: Any = None
        try:
            body = await self._read_body(request)
        except FileFormError as exc:
            response: web.StreamResponse = error(400, 50035, f"Invalid Form Body: {exc}")
        except ValueError:
            response = error(400, 50109, "The request body contains invalid JSON.")
        else:
            request[BODY] = body
            response = await self._process(request, handler, sub)
        self.state.record_request(
            {
                "method": request.method,
                "path": sub,
                "query": dict(request.query),
                "json": body,
                "files": request.get(FILES, []),
                "time": started,
                "status": response.status,
            }
        )
        return response

    async def _read_body(self, request: web.Request) -> Any:
        request[FILES] = []
        if not request.body_exists:
            return None
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)  # discord.py never nests multipart bodies
                data = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(data)
                else:
                    request[FILES].append(
                        {
                            "name": part.name,
                            "filename": part.filename,
                            "size": len(data),
                            "content_type": part.headers.get("Content-Type"),
                            "data": data,  # kept, so a test can read back what the bot sent
                        }
                    )
            return attach(self.state, payload, request[FILES])
        raw = await request.read()
        return json.loads(raw) if raw.strip() else None

    async def _process(self, request: web.Request, handler: Handler, sub: str) -> web.StreamResponse:
        state = self.state
        if request.match_info.http_exception is not None:
            status = request.match_info.http_exception.status
            return error(status, 0, f"{status}: {request.match_info.http_exception.reason}")
        is_open = sub.startswith(OPEN_PREFIXES)
        if not is_open and request.headers.get("Authorization") != f"Bot {state.config.token}":
            return error(401, 0, "401: Unauthorized")
        now = time.monotonic()
        canonical = request.match_info.route.resource.canonical if request.match_info.route.resource else sub
        major = ":".join(v for k, v in request.match_info.items() if k in MAJOR_PARAMS)
        with state.lock:
            if not is_open:
                retry = self.limiter.global_retry_after(now)
                if retry > 0:
                    state.rec.count_429 += 1
                    headers = rate_limited_headers(retry, is_global=True)
                    return json_response(rate_limited_body(retry, is_global=True), 429, headers)
            window = None
            if not sub.startswith("/interactions/"):
                is_post = request.method == "POST" and canonical == MESSAGE_POST_ROUTE
                window = self.limiter.window(f"{request.method} {canonical}", major, message_post=is_post)
            bucket = RateLimiter.bucket_hash(f"{request.method} {canonical}")
            if window is not None and (retry := window.retry_after(now)) > 0:
                state.rec.count_429 += 1
                headers = {**window.headers(now, bucket), **rate_limited_headers(retry, is_global=False)}
                return json_response(rate_limited_body(retry, is_global=False), 429, headers)
            failure = state.take_failure(request.method, sub)
            if failure is not None and failure.status == 429:
                state.rec.count_429 += 1
                headers = rate_limited_headers(failure.retry_after, is_global=False)
                if window is not None:
                    headers = {**window.headers(now, bucket), **headers}
                body = failure.body or rate_limited_body(failure.retry_after, is_global=False)
                return json_response(body, 429, headers)
            if window is not None:
                window.consume(now)
        if failure is not None:
            log.debug("injecting %s for %s %s", failure.status, request.method, sub)
            default = DEFAULT_ERRORS.get(failure.status, {"code": 0, "message": f"{failure.status}: injected"})
            response: web.StreamResponse = json_response(failure.body or default, failure.status)
        elif await self._held(request.method, sub, answered=False):
            response = error(503, 0, "503: held request dropped")  # nothing was done: a send lost in flight
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = error(exc.status, 0, f"{exc.status}: {exc.reason}")
            except Exception:
                log.exception("fake Discord handler failed for %s %s", request.method, sub)
                response = error(500, 0, "500: fake Discord handler crashed (see log)")
            if response.status < 300:
                # Done, but the answer waits: a sender killed meanwhile never learns the id of what it made.
                await self._held(request.method, sub, answered=True)
        if window is not None:
            with state.lock:
                response.headers.update(window.headers(time.monotonic(), bucket))
        return response

    async def _held(self, method: str, sub: str, *, answered: bool) -> bool:
        """Hang while a ``hold`` matches this request; True when it was held."""
        state = self.state
        with state.lock:
            matching = [
                h
                for h in state.request_holds
                if h.answered == answered and h.method in ("*", method) and h.pattern.search(sub)
            ]
            if not matching:
                return False
            state.held_requests += 1
        try:
            while True:
                with state.lock:
                    if not any(h in state.request_holds for h in matching):
                        return True
                await asyncio.sleep(0.02)
        finally:
            with state.lock:
                state.held_requests -= 1

    # ----- helpers for route modules -------------------------------------------------------
    async def broadcast(self, event: str, data: dict[str, Any], intent: int | None = None) -> None:
        if self.state.config.echo_events:
            await self.gateway.broadcast(event, data, intent)

    async def echo_created(self, message: dict[str, Any]) -> None:
        """Dispatch MESSAGE_CREATE for a message the bot created (not for ephemeral ones)."""
        state = self.state
        found = state.channel(int(message["channel_id"]))
        if found is None or int(message.get("flags") or 0) & EPHEMERAL:
            return
        event = {**message, "guild_id": str(found[0].id)}
        if message["author"]["id"] == str(state.config.bot_id):
            with state.lock:
                member = state.member_obj(found[0], state.config.bot_id) or {}
            member.pop("user", None)
            event["member"] = member
        await self.broadcast("MESSAGE_CREATE", event, GUILD_MESSAGES)
