"""The command line against the fake Discord: ``newsdesk invite`` asks Discord for the token's application."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.botprocess import TOKEN
from tests.e2e.conftest import default_config
from tests.fakediscord import FakeDiscord


def newsdesk(tmp_path: Path, fake: FakeDiscord, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "articles").mkdir(exist_ok=True)
    config = tmp_path / "newsdesk.yaml"
    config.write_text(yaml.safe_dump(default_config(tmp_path)))
    env = {**os.environ, "DISCORD_TOKEN": token, "DISCORD_API_BASE": fake.api_base}
    command = [sys.executable, "-m", "bot", "--config", str(config), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_invite_prints_the_url_for_the_tokens_application(tmp_path: Path, fake: FakeDiscord) -> None:
    done = newsdesk(tmp_path, fake, TOKEN, "invite", "--threads")
    assert done.returncode == 0, done.stderr
    url = done.stdout.splitlines()[0]
    assert url.startswith(f"https://discord.com/oauth2/authorize?client_id={fake.application_id}&")
    assert "scope=bot+applications.commands" in url
    # The five required permissions plus Create Public Threads, Send Messages in Threads and Manage Threads.
    expected = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 28) | (1 << 35) | (1 << 38) | (1 << 34)
    assert url.endswith(f"&permissions={expected}")
    assert "Manage Threads" in done.stdout and "Manage Webhooks" not in done.stdout
    assert "read from the token" not in done.stderr  # Discord answered
    assert TOKEN not in done.stdout + done.stderr


def test_invite_with_a_refused_token_says_so(tmp_path: Path, fake: FakeDiscord) -> None:
    done = newsdesk(tmp_path, fake, "wrong-token", "invite")
    assert done.returncode == 1
    assert done.stderr.strip() == "newsdesk: Discord refused the token in DISCORD_TOKEN"
