"""Discord faults end in one clear line; a channel the bot can't use holds its stories; status tells running
from stopped. All against the real bot process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.heartbeat import read_liveness
from bot.store import Store
from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import ALERTS, NEWS, SCIENCE, default_config
from tests.fakediscord import DEFAULT_GUILD_ID, FakeDiscord
from tests.fakediscord.control import PATIENCE
from tests.fakediscord.world import SEND_MESSAGES
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
TIMEOUT = 3  # discord.request_timeout for the fault tests
MARGIN = 45  # start-up of a Python process on a loaded machine, on top of the time-out
UNKNOWN = 200000000000000999


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    loop = asyncio.new_event_loop()
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = loop.run_until_complete(asyncio.start_server(hold, "127.0.0.1", 0))
    port = int(server.sockets[0].getsockname()[1])
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield port
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def run_newsdesk(tmp_path: Path, command: str, api_base: str, gateway_url: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "articles").mkdir(exist_ok=True)
    config = {**default_config(tmp_path), "discord": {"request_timeout": TIMEOUT}}
    path = tmp_path / "newsdesk.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": api_base, "DISCORD_GATEWAY_URL": gateway_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT + MARGIN,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert [line for line in output.splitlines() if expected in line], output
    assert TOKEN not in output


@pytest.mark.parametrize("command", ["run", "sync"])
def test_closed_port_says_cannot_reach_discord(tmp_path: Path, command: str) -> None:
    port = closed_port()
    api = f"http://127.0.0.1:{port}/api/v10"
    result = run_newsdesk(tmp_path, command, api, f"ws://127.0.0.1:{port}/gateway")
    assert_one_clear_line(result, f"cannot reach Discord at {api}: connection refused")


@pytest.mark.parametrize("command", ["run", "sync"])
def test_silent_server_times_out_with_a_clear_line(tmp_path: Path, silent_port: int, command: str) -> None:
    api = f"http://127.0.0.1:{silent_port}/api/v10"
    result = run_newsdesk(tmp_path, command, api, f"ws://127.0.0.1:{silent_port}/gateway")
    assert_one_clear_line(result, f"cannot reach Discord at {api}: no answer within {TIMEOUT}s")


@pytest.mark.parametrize("gateway", ["refused", "silent"])
def test_a_gateway_that_never_connects_ends_the_first_start(
    tmp_path: Path, fake: FakeDiscord, silent_port: int, gateway: str
) -> None:
    port = closed_port() if gateway == "refused" else silent_port
    url = f"ws://127.0.0.1:{port}/gateway"
    result = run_newsdesk(tmp_path, "run", fake.api_base, url)
    assert_one_clear_line(result, f"cannot connect to the Discord gateway at {url} within {TIMEOUT}s")
    if gateway == "refused":
        assert "connection refused" in result.stderr


def newsdesk_status(bot: BotProcess) -> str:
    # With the deployment's token in the environment, status reads storage.url (never contacting Discord).
    env = {**os.environ, "DISCORD_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(bot.workdir / "newsdesk.yaml"), "status"],
        cwd=bot.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def posted(fake: FakeDiscord, channel: int) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if m["source"] == "rest"]


def test_an_unknown_channel_holds_its_stories_until_it_exists(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(
        articles={"backfill": "latest:2"},
        channels=[{"id": NEWS, "name": "news", "topics": "*"}, {"id": UNKNOWN, "name": "late", "topics": "*"}],
        alerts={"channel": ALERTS},
        discord={"channel_recheck_seconds": 1},
    )
    bot.articles.mkdir(exist_ok=True)
    write_story(bot.articles, "one.md", 1, title="First story")
    write_story(bot.articles, "two.md", 2, title="Second story")
    bot.start()
    fake.wait_for(lambda: len(posted(fake, NEWS)) == 2)
    bot.wait_for_log("channels[1].id: channel")
    errors = [line for line in bot.lines if "ERROR" in line and "channels[1].id" in line]
    assert len(errors) == 1 and "does not exist" in errors[0], bot.log_text()
    alert = fake.wait_for(lambda: posted(fake, ALERTS))[0]
    assert "can't be used" in alert["embeds"][0]["title"] and str(UNKNOWN) in alert["embeds"][0]["description"]
    assert not fake.requests_to("POST", rf"/channels/{UNKNOWN}/messages")

    status = newsdesk_status(bot)
    # The channel as the config names it ("late"), its id beside.
    assert f"late (channel {UNKNOWN}): 2 queued, 0 posted" in status, status
    assert f"late (channel {UNKNOWN}) waits: channels[1].id: does not exist" in status, status
    assert "Failures in the last 24 h: 0" in status, status

    fake.add_channel(UNKNOWN, "late")
    fake.wait_for(lambda: len(posted(fake, UNKNOWN)) == 2)
    assert "waits" not in newsdesk_status(bot)
    assert len(posted(fake, ALERTS)) == 1


@pytest.mark.slow
def test_status_says_running_then_stopped_after_sigterm_and_after_sigkill(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(storage={"heartbeat_seconds": 1}).start()
    assert "Status: running" in newsdesk_status(bot)
    assert bot.stop() == 0
    status = newsdesk_status(bot)
    assert "Status: stopped at " in status and "Running since" not in status, status

    bot.start()
    assert "Status: running" in newsdesk_status(bot)
    bot.kill()
    fake.wait_for(lambda: "did not shut down cleanly" in newsdesk_status(bot), interval=0.5)


def test_console_mode_writes_the_heartbeat_and_the_stop_too(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    config = {**default_config(tmp_path), "storage": {"url": f"sqlite:///{tmp_path / 'newsdesk.db'}"}}
    config["storage"]["heartbeat_seconds"] = 1
    path = tmp_path / "newsdesk.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(path), "run"],
        cwd=tmp_path,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Console mode is watching" in line:
                break
        store = Store.open(f"sqlite:///{tmp_path / 'newsdesk.console.db'}")
        try:
            deadline = time.monotonic() + PATIENCE
            while not read_liveness(store).running and time.monotonic() < deadline:
                time.sleep(0.1)
            assert read_liveness(store).running
        finally:
            store.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=PATIENCE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    store = Store.open(f"sqlite:///{tmp_path / 'newsdesk.console.db'}")
    try:
        live = read_liveness(store)
        assert not live.running and live.stopped_at is not None
    finally:
        store.close()


def test_a_channel_without_send_permission_waits_until_it_is_granted(fake: FakeDiscord, make_bot: MakeBot) -> None:
    # @everyone may not send in science, and nothing gives the bot's role that permission back.
    fake.set_overwrites(SCIENCE, [{"id": DEFAULT_GUILD_ID, "type": 0, "deny": SEND_MESSAGES}])
    bot = make_bot(
        articles={"backfill": "latest:1"},
        channels=[{"id": NEWS, "name": "news", "topics": "*"}, {"id": SCIENCE, "name": "science", "topics": "*"}],
        discord={"channel_recheck_seconds": 1},
    )
    bot.articles.mkdir(exist_ok=True)
    write_story(bot.articles, "one.md", 1, title="First story")
    bot.start()
    line = bot.wait_for_log("channels[1].id: channel")
    assert "lacks the bot permission Send Messages" in line
    fake.wait_for(lambda: len(posted(fake, NEWS)) == 1)
    assert not fake.requests_to("POST", rf"/channels/{SCIENCE}/messages")
    fake.set_overwrites(SCIENCE, [])
    fake.wait_for(lambda: len(posted(fake, SCIENCE)) == 1)
    assert "Failures in the last 24 h: 0" in newsdesk_status(bot)
