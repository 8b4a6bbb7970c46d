"""``newsdesk invite --user``: the link members open to add the app to their own account."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.admin import user_install_url
from tests.unit.cli_site import clean_env, make_site  # noqa: F401  clean_env is autouse

APP_ID = 123456789012345678


def test_user_install_link_names_the_application_the_user_install_and_only_the_commands_scope() -> None:
    assert user_install_url(APP_ID) == (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}&integration_type=1&scope=applications.commands"
    )


def test_invite_user_prints_the_link_and_the_portal_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = base64.b64encode(str(APP_ID).encode()).decode().rstrip("=") + ".GxYz12.secretpart"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")  # offline: the id comes from the token
    assert main(["--config", str(make_site(tmp_path)), "invite", "--user"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines[0] == user_install_url(APP_ID)
    assert len(lines) == 2 and "Installation" in lines[1] and "User Install" in lines[1]
    # No bot scope and no permissions: a user install adds commands to the member's account, not a bot to a server.
    assert "scope=bot" not in lines[0] and "permissions=" not in lines[0]


def test_invite_user_without_token_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(make_site(tmp_path)), "invite", "--user"]) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err
