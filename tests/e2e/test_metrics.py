"""The real bot serves /healthz and /metrics: after a story is posted, the scrape shows it."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS
from tests.fakediscord import FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_and_healthz_after_a_post(fake: FakeDiscord, make_bot: Callable[..., BotProcess]) -> None:
    port = free_port()
    bot = make_bot(metrics={"port": port}).start()
    bot.wait_for_log(f"Serving /healthz and /metrics on http://127.0.0.1:{port}")
    write_story(bot.articles, "a.md", 1, title="Measured story", topics=["Space"])
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1)
    base = f"http://127.0.0.1:{port}"

    def sent() -> float:
        return samples(get(f"{base}/metrics")[2]).get(("newsdesk_deliveries_total", (("outcome", "sent"),)), 0)

    fake.wait_for(lambda: sent() == 1)  # counted once Discord's answer is settled in the ledger
    status, content_type, text = get(f"{base}/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=")
    found = samples(text)
    assert found[("newsdesk_file_to_post_seconds_count", ())] == 1
    assert found[("newsdesk_stories_indexed", ())] == 1
    assert found[("newsdesk_role_held", (("role", "ingest"),))] == 1
    for scope in ("global", "shared", "user"):
        assert found[("newsdesk_discord_429_total", (("scope", scope),))] == 0
    assert found[("newsdesk_discord_responses_total", (("status_class", "2xx"),))] >= 1
    status, _, body = get(f"{base}/healthz")
    health = json.loads(body)
    assert status == 200
    assert health["status"] == "ok" and health["store"] == "ok"
    assert "ingest" in health["roles"] and isinstance(health["last_heartbeat"], float)
    assert bot.stop() == 0
    with pytest.raises(OSError):  # stopped with the bot
        get(f"{base}/healthz")


def test_metrics_count_the_429s_and_5xx_that_discord_py_retried(
    fake: FakeDiscord, make_bot: Callable[..., BotProcess]
) -> None:
    port = free_port()
    bot = make_bot(metrics={"port": port}).start()
    bot.wait_for_log(f"Serving /healthz and /metrics on http://127.0.0.1:{port}")
    fake.fail_next("POST", rf"/channels/{NEWS}/messages", 429, count=1, retry_after=0.3)
    fake.fail_next("POST", rf"/channels/{NEWS}/messages", 500, count=2)
    write_story(bot.articles, "a.md", 1, title="Retried story", topics=["Space"])
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1)
    url = f"http://127.0.0.1:{port}/metrics"

    def value(name: str, **labels: str) -> float:
        return samples(get(url)[2]).get((name, tuple(sorted(labels.items()))), 0)

    fake.wait_for(lambda: value("newsdesk_deliveries_total", outcome="sent") == 1)
    # discord.py retried each of them inside one REST call: the sink never saw them, the session trace did.
    assert value("newsdesk_discord_429_total", scope="user") == 1
    assert value("newsdesk_discord_429_total", scope="global") == 0
    assert value("newsdesk_discord_5xx_total") == 2
    assert value("newsdesk_discord_responses_total", status_class="5xx") == 2
    assert value("newsdesk_discord_gave_up_total", status="429") == 0
    assert bot.stop() == 0
