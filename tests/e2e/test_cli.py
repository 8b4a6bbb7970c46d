"""The command line against the fake Discord: ``invite`` asks Discord for the token's application, ``sync``
publishes the commands, and every refusal from Discord is one line with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.botprocess import TOKEN
from tests.e2e.conftest import default_config
from tests.fakediscord import DEFAULT_GUILD_ID, FakeDiscord, second_guild
from tests.fakediscord.world import default_guild
from tests.pgserver import PostgresServer


def newsdesk(
    tmp_path: Path, fake: FakeDiscord | None, token: str, *args: str, **env_vars: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "articles").mkdir(exist_ok=True)
    config = tmp_path / "newsdesk.yaml"
    config.write_text(yaml.safe_dump(default_config(tmp_path)))
    api = {"DISCORD_API_BASE": fake.api_base} if fake is not None else {}
    env = {**os.environ, "DISCORD_TOKEN": token, **api, **env_vars}
    if not token:
        del env["DISCORD_TOKEN"]
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
    assert done.returncode == 2  # a failure the user can fix: exit 2, as every CLI failure (README)
    assert done.stderr.strip() == "newsdesk: Discord refused the token in DISCORD_TOKEN"


def failure_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``newsdesk:`` line a failed command ends with (log lines at INFO may come before it)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("newsdesk:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_sync_to_a_guild_publishes_the_commands_there(tmp_path: Path, fake: FakeDiscord) -> None:
    done = newsdesk(tmp_path, fake, TOKEN, "sync", "--guild", str(DEFAULT_GUILD_ID))
    assert done.returncode == 0, done.stderr
    assert f"to guild {DEFAULT_GUILD_ID}" in done.stdout
    assert {"news", "feed"} <= {c["name"] for c in fake.commands(DEFAULT_GUILD_ID)}


def test_sync_to_an_unknown_guild_says_what_is_wrong(tmp_path: Path, fake: FakeDiscord) -> None:
    line = failure_line(newsdesk(tmp_path, fake, TOKEN, "sync", "--guild", "5"))
    assert line.startswith("newsdesk: sync: no server 5 is known to Discord")
    assert "404" in line and "Copy Server ID" in line


def test_sync_to_a_guild_joined_without_the_commands_scope_says_so(tmp_path: Path) -> None:
    # The second server let the bot in with the bot scope only: Discord answers 403 Missing Access to its commands.
    elsewhere = second_guild()
    elsewhere.commands_scope = False
    fake = FakeDiscord(token=TOKEN, guilds=[default_guild(), elsewhere]).start()
    try:
        done = newsdesk(tmp_path, fake, TOKEN, "sync", "--guild", str(elsewhere.id))
        assert fake.commands(elsewhere.id) == []
    finally:
        fake.stop()
    line = failure_line(done)
    assert f"no access to server {elsewhere.id}" in line and "applications.commands scope" in line
    assert "newsdesk invite" in line


def test_sync_with_a_refused_token_is_one_line_exit_2(tmp_path: Path, fake: FakeDiscord) -> None:
    done = newsdesk(tmp_path, fake, "wrong-token", "sync")
    assert failure_line(done) == "newsdesk: Discord refused the token in DISCORD_TOKEN"


def test_status_never_prints_a_database_password(tmp_path: Path, postgres: PostgresServer) -> None:
    # The test server trusts every login, so the password is carried all the way through a real connection.
    url = postgres.create_database().replace(f"{postgres.user}@", f"{postgres.user}:Ab/9+xZ=:q%40w%2Fe@")
    assert newsdesk(tmp_path, None, TOKEN, "index", NEWSDESK_STORAGE_URL=url).returncode == 0
    for token in (TOKEN, ""):
        done = newsdesk(tmp_path, None, token, "--debug", "status", NEWSDESK_STORAGE_URL=url)
        assert done.returncode == 0, done.stderr
        output = done.stdout + done.stderr
        assert "Status:" in done.stdout
        assert f"{postgres.user}:***@127.0.0.1" in done.stderr  # which database, said with the password masked
        for fragment in ("Ab/9", "xZ=", ":q", "q%40w", "q@w", "w%2Fe", "w/e"):
            assert fragment not in output
