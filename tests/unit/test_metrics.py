"""Metrics: each hook moves its series (real pipeline, real SQLite store), and the /healthz and /metrics endpoints."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from discord.http import Route
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import main
from bot.cluster.membership import Membership
from bot.config import ConfigError, parse_config
from bot.metrics import Metrics, rate_limit_scope
from bot.metrics_server import MetricsPortError, MetricsServer, make_app, store_health
from bot.pipeline import Pipeline
from bot.send.discord_sink import DiscordSink
from bot.send.errors import DeliveryError
from bot.sharding import make_plan
from bot.store import Store
from bot.store.meta_keys import MetaKey
from tests.storyfiles import write_story
from tests.unit.test_pipeline import AI_ONLY, NEWS, RecordingSink, make_config


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    """The value of one sample in the rendered text format (what Prometheus would read), None if absent."""
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


@pytest.fixture
async def fed(tmp_path: Path) -> AsyncIterator[tuple[Pipeline, RecordingSink, Metrics, Path]]:
    folder = tmp_path / "articles"
    folder.mkdir()
    metrics = Metrics()
    config = make_config(folder, tmp_path / "newsdesk.db")
    pipeline = Pipeline(config, Store.open(config.storage_url), metrics=metrics)
    sink = RecordingSink()
    yield pipeline, sink, metrics, folder
    await pipeline.stop()
    pipeline.store.close()


def test_each_registry_is_its_own() -> None:
    one, two = Metrics(), Metrics()
    one.on_delivery("sent")
    assert sample(one, "newsdesk_deliveries_total", outcome="sent") == 1
    assert sample(two, "newsdesk_deliveries_total", outcome="sent") is None


async def test_posts_count_as_sent_with_their_latency_then_deletions(fed: Any) -> None:
    pipeline, sink, metrics, folder = fed
    path = write_story(folder, "a.md", 1, title="Hello AI", topics=["ai"], quality=90)
    written = path.stat().st_mtime
    await pipeline.start(sink, watch=False)
    await pipeline.drain()
    assert sample(metrics, "newsdesk_deliveries_total", outcome="sent") == 2  # NEWS and AI_ONLY
    assert sample(metrics, "newsdesk_file_to_post_seconds_count") == 2
    took = sample(metrics, "newsdesk_file_to_post_seconds_sum")
    assert took is not None and 0 <= took <= 2 * (time.time() - written)
    path.unlink()
    await pipeline.rescan()
    await pipeline.drain()
    assert sample(metrics, "newsdesk_deliveries_total", outcome="deleted") == 2
    assert sample(metrics, "newsdesk_file_to_post_seconds_count") == 2  # only posts are timed


async def test_failed_and_edited_outcomes(fed: Any) -> None:
    pipeline, sink, metrics, folder = fed
    sink.fail_channels[AI_ONLY] = DeliveryError("missing permissions", retryable=False, status=403)
    write_story(folder, "a.md", 1, title="Hello AI", topics=["ai"], quality=90)
    await pipeline.start(sink, watch=False)
    await pipeline.drain()
    assert sample(metrics, "newsdesk_deliveries_total", outcome="failed") == 1
    write_story(folder, "a.md", 1, title="Hello AI, updated", topics=["ai"], quality=90)
    await pipeline.rescan()
    await pipeline.drain()
    assert sample(metrics, "newsdesk_deliveries_total", outcome="edited") == 1


async def test_scrape_reads_indexed_stories_and_queue_depth(fed: Any) -> None:
    pipeline, sink, metrics, folder = fed
    sink.gate = asyncio.Event()  # Discord "hangs": the posts stay queued
    for n in range(3):
        write_story(folder, f"s{n}.md", n, title=f"Story {n}")
    await pipeline.start(sink, watch=False)
    await metrics.scrape()
    assert sample(metrics, "newsdesk_stories_indexed") == 3
    # Both channels take the three stories; each queue is sending its first (not counted) and holds two.
    assert sample(metrics, "newsdesk_queue_depth", shard="all") == 4
    sink.gate.set()
    await pipeline.drain()
    await metrics.scrape()
    assert sample(metrics, "newsdesk_queue_depth", shard="all") == 0
    assert NEWS in {c for _, c, _ in sink.calls}


async def test_queue_depth_is_per_shard_when_sharded(tmp_path: Path) -> None:
    config = make_config(tmp_path / "articles", tmp_path / "newsdesk.db")
    store = Store.open(config.storage_url)
    try:
        pipeline = Pipeline(config, store, shards=make_plan(2, (0, 1)), metrics=Metrics())
        assert pipeline.queue_depths() == {"0": 0, "1": 0}
    finally:
        store.close()


class FailingHttp:
    """discord.py's HTTP client answering with the next scripted error."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors

    async def request(self, route: Route, **kwargs: Any) -> Any:
        raise self.errors.pop(0)


def http_error(status: int) -> discord.HTTPException:
    return discord.HTTPException(SimpleNamespace(status=status, reason="Error"), {"message": "nope", "code": 0})


async def test_sink_counts_429s_and_5xx_by_its_classification() -> None:
    # What is left after discord.py's retries; the responses themselves are counted on the session (below).
    metrics = Metrics()
    errors: list[Exception] = [discord.RateLimited(120.0), http_error(503), http_error(502), http_error(400)]
    sink = DiscordSink(FailingHttp(errors), timeout=5, metrics=metrics)  # type: ignore[arg-type]
    for _ in range(4):
        with pytest.raises(DeliveryError):
            await sink.post(1, {"content": "x"}, nonce="n")
    assert sample(metrics, "newsdesk_discord_gave_up_total", status="429") == 1
    assert sample(metrics, "newsdesk_discord_gave_up_total", status="5xx") == 2
    # No response was seen on a session here: the response counters stay at 0.
    assert sample(metrics, "newsdesk_discord_429_total", scope="user") == 0
    assert sample(metrics, "newsdesk_discord_5xx_total") == 0


async def scripted_server(answers: list[tuple[int, dict[str, str]]]) -> TestServer:
    """A tiny HTTP server answering each request with the next (status, headers)."""

    async def handler(request: web.Request) -> web.Response:
        status, headers = answers.pop(0)
        return web.json_response({"retry_after": 0.01, "global": False}, status=status, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    return server


async def test_the_session_trace_counts_every_response_a_retry_then_hides() -> None:
    # As discord.py does: a 429 is answered, the caller retries, the 200 is all the sink would see.
    metrics = Metrics()
    server = await scripted_server([(429, {"X-RateLimit-Scope": "shared"}), (200, {})])
    try:
        async with aiohttp.ClientSession(trace_configs=[metrics.trace_config()]) as session:
            for _ in range(2):
                async with session.post(server.make_url("/channels/1/messages")) as response:
                    await response.read()
    finally:
        await server.close()
    assert sample(metrics, "newsdesk_discord_429_total", scope="shared") == 1
    assert sample(metrics, "newsdesk_discord_429_total", scope="global") == 0
    assert sample(metrics, "newsdesk_discord_responses_total", status_class="4xx") == 1
    assert sample(metrics, "newsdesk_discord_responses_total", status_class="2xx") == 1


async def test_the_session_trace_counts_5xx_and_global_429s() -> None:
    metrics = Metrics()
    answers = [(502, {}), (500, {}), (429, {"X-RateLimit-Global": "true"}), (429, {}), (204, {})]
    server = await scripted_server(answers)
    try:
        async with aiohttp.ClientSession(trace_configs=[metrics.trace_config()]) as session:
            for _ in range(5):
                async with session.get(server.make_url("/gateway")) as response:
                    await response.read()
    finally:
        await server.close()
    assert sample(metrics, "newsdesk_discord_5xx_total") == 2
    assert sample(metrics, "newsdesk_discord_responses_total", status_class="5xx") == 2
    assert sample(metrics, "newsdesk_discord_429_total", scope="global") == 1  # an older answer: no scope header
    assert sample(metrics, "newsdesk_discord_429_total", scope="user") == 1  # neither header


def test_rate_limit_scope_reads_the_header_in_any_case() -> None:
    assert rate_limit_scope({"X-RateLimit-Scope": "Global"}) == "global"
    assert rate_limit_scope({"X-RateLimit-Scope": "user", "X-RateLimit-Global": "true"}) == "user"
    assert rate_limit_scope({}) == "user"


def test_roles_held_come_from_the_cluster_membership(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        metrics = Metrics()
        membership = Membership(store, make_plan(2, (0, 1)), every=10)
        metrics.follow(roles=membership.role_names)
        assert metrics.held_roles() == ["ingest", "shard:0", "shard:1"]  # SQLite: the one process holds all
        assert sample(metrics, "newsdesk_role_held", role="shard:1") == 1
    finally:
        store.close()


def test_metrics_config_is_off_by_default_and_validated() -> None:
    assert parse_config({}).metrics.port is None
    assert parse_config({"metrics": {"port": None}}).metrics.enabled is False
    on = parse_config({"metrics": {"port": 9464}}).metrics
    assert (on.host, on.port) == ("127.0.0.1", 9464)
    for raw, key in [
        ({"port": 70000}, "metrics.port"),
        ({"port": "9464"}, "metrics.port"),
        ({"port": True}, "metrics.port"),
        ({"host": "not a host", "port": 1}, "metrics.host"),
        ({"prot": 1}, "metrics.prot"),
        (5, "metrics"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_config({"metrics": raw})
        assert caught.value.key == key


@pytest.fixture
def store(tmp_path: Path) -> Any:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    yield store
    store.close()


async def test_healthz_is_ok_with_roles_and_heartbeat(store: Store) -> None:
    store.set_meta(MetaKey.HEARTBEAT, '{"at": 1700000000.5, "every": 10}')
    metrics = Metrics()
    metrics.follow(roles=lambda: (["shard:0", "ingest"], ["ingest"]))
    async with TestClient(TestServer(make_app(metrics, store_health(store, metrics)))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "roles": ["ingest"],
            "last_heartbeat": 1700000000.5,
            "store": "ok",
        }


async def test_healthz_is_503_when_the_store_is_unreachable(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    store.close()  # its threads are gone: every query fails, as with a database that went away
    metrics = Metrics()
    async with TestClient(TestServer(make_app(metrics, store_health(store, metrics)))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "unavailable" and body["store"].startswith("unreachable")


async def test_metrics_endpoint_serves_the_text_format(store: Store) -> None:
    metrics = Metrics()
    metrics.on_delivery("sent", changed_at=time.time() - 0.02)
    server = MetricsServer(metrics, store_health(store, metrics), host="127.0.0.1", port=0)
    await server.start()
    try:
        async with TestClient(TestServer(make_app(metrics, store_health(store, metrics)))) as client:
            response = await client.get("/metrics")
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=")
            text = await response.text()
        assert 'newsdesk_deliveries_total{outcome="sent"} 1.0' in text
        assert 'newsdesk_file_to_post_seconds_bucket{le="0.025"}' in text
        # The real socket answers too.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.0\r\n\r\n")
        assert b" 200 " in await reader.readline()
        writer.close()
    finally:
        await server.stop()


async def test_port_in_use_is_one_error_naming_metrics_port(store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        metrics = Metrics()
        server = MetricsServer(metrics, store_health(store, metrics), host="127.0.0.1", port=port)
        with pytest.raises(MetricsPortError) as caught:
            await server.start()
    assert caught.value.key == "metrics.port"
    assert "already in use" in str(caught.value)


def test_run_exits_2_when_the_metrics_port_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    (tmp_path / "articles").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "newsdesk.yaml"
        config.write_text(
            f"articles: {{path: {tmp_path / 'articles'}}}\nstorage: {{url: 'sqlite:///{tmp_path / 'n.db'}'}}\n"
            f"metrics: {{port: {port}}}\n"
        )
        assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert f"config key 'metrics.port': cannot listen on 127.0.0.1:{port}: already in use" in err
    assert "Traceback" not in err
