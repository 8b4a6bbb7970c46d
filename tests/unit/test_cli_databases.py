"""Which database a command opens: the live bot's for an operator without the token, console mode's otherwise."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.unit.cli_site import PUBLISHED, clean_env, make_site, one_line  # noqa: F401  clean_env is autouse

SLASH_URL = "postgresql+psycopg://newsdesk:Ab/9+xZ=@127.0.0.1:1/news"


def deploy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployment's database (indexed with the service's token, two published stories); the token then gone,
    as in an operator's shell."""
    config = make_site(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "the-services-token")
    assert main(["--config", str(config), "index"]) == 0
    monkeypatch.delenv("DISCORD_TOKEN")
    return config


def deliveries(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM deliveries").fetchone()[0])


def test_without_token_the_readers_use_the_deployments_database_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = deploy(tmp_path, monkeypatch)
    deployed = tmp_path / "data" / "newsdesk.db"
    capsys.readouterr()
    story = tmp_path / "articles" / "story1.md"
    for command in (["status"], ["search"], ["explain", str(story)], ["backup", str(tmp_path / "copy.db")]):
        assert main(["--config", str(config), *command]) == 0, command
        output = capsys.readouterr()
        note = output.err.splitlines()[0]
        assert f"no DISCORD_TOKEN, reading the deployment's database {deployed} (storage.url), which exists" in note
        assert "--console" in note
        if command == ["status"]:
            assert "2 published" in output.out
        if command == ["search"]:
            assert "Chip makers race" in output.out
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM stories").fetchone()[0] == 3
    assert not (tmp_path / "data" / "newsdesk.console.db").exists()  # reading made no console database


def test_console_flag_reads_console_modes_database_beside_the_deployments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = deploy(tmp_path, monkeypatch)
    (tmp_path / "articles" / "story3.md").write_text(PUBLISHED.format(n=3), encoding="utf-8")
    assert main(["--config", str(config), "index"]) == 0  # no token: console mode's database, three published
    console_db = tmp_path / "data" / "newsdesk.console.db"
    capsys.readouterr()
    assert main(["--config", str(config), "status"]) == 0
    assert "2 published" in capsys.readouterr().out  # the deployment's still wins without --console
    assert main(["--config", str(config), "status", "--console"]) == 0
    output = capsys.readouterr()
    assert "3 published" in output.out
    assert f"using console mode's database {console_db} (--console)" in output.err
    assert main(["--config", str(config), "backup", str(tmp_path / "console-copy.db"), "--console"]) == 0
    with sqlite3.connect(tmp_path / "console-copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM stories WHERE published").fetchone()[0] == 3


def test_index_without_token_never_plans_into_the_deployments_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = deploy(tmp_path, monkeypatch)
    deployed = tmp_path / "data" / "newsdesk.db"
    before = deliveries(deployed)
    (tmp_path / "articles" / "story3.md").write_text(PUBLISHED.format(n=3), encoding="utf-8")
    capsys.readouterr()
    assert main(["--config", str(config), "index"]) == 0
    assert "no DISCORD_TOKEN, so using console mode's database" in capsys.readouterr().err
    assert deliveries(deployed) == before
    assert deliveries(tmp_path / "data" / "newsdesk.console.db") == 3


def test_without_token_and_without_a_deployment_the_readers_use_console_modes_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "status"]) == 0
    note = capsys.readouterr().err.splitlines()[0]
    assert f"no database at {tmp_path / 'data' / 'newsdesk.db'}, so using console mode's" in note
    assert not (tmp_path / "data" / "newsdesk.db").exists()


@pytest.mark.parametrize("command", ["status", "search", "backup"])
def test_console_flag_with_a_postgres_url_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # Refused before connecting: nothing listens on port 1, so an attempt would say so instead.
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", SLASH_URL)
    config = make_site(tmp_path)
    extra = [str(tmp_path / "copy.db")] if command == "backup" else []
    assert main(["--config", str(config), command, *extra, "--console"]) == 2
    output = capsys.readouterr()
    line = one_line(output.err)
    assert "--console: storage.url postgresql+psycopg://newsdesk:***@127.0.0.1:1/news is a PostgreSQL" in line
    assert "Ab/9" not in output.out + output.err


@pytest.mark.parametrize("command", ["run", "index"])
def test_console_mode_refuses_a_postgres_url_in_one_line_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", SLASH_URL)
    config = make_site(tmp_path)
    assert main(["--config", str(config), command]) == 2
    output = capsys.readouterr()
    line = one_line(output.err)
    assert line.startswith(f"newsdesk: '{command}' refused: storage.url postgresql+psycopg://newsdesk:***@")
    assert "newsdesk:***@127.0.0.1:1/news" in line and "Ab/9" not in output.out + output.err


@pytest.mark.parametrize("token", ["", "not-a-real-token"])
@pytest.mark.parametrize("command", ["status", "search", "migrate", "index", "backup"])
def test_a_password_with_a_slash_never_reaches_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, token: str, command: str
) -> None:
    if token:
        monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", SLASH_URL)
    config = make_site(tmp_path)
    extra = [str(tmp_path / "copy.db")] if command == "backup" else []
    assert main(["--config", str(config), "--debug", command, *extra]) == 2
    output = capsys.readouterr()
    assert "Ab/9+xZ=" not in output.out + output.err
    assert "newsdesk:***@127.0.0.1:1/news" in output.err


def test_an_unescaped_at_in_the_password_is_refused_at_start_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", "postgresql+psycopg://newsdesk:p@ss/w0rd@127.0.0.1:1/news")
    config = make_site(tmp_path)
    assert main(["--config", str(config), "status"]) == 2
    output = capsys.readouterr()
    line = one_line(output.err)
    assert "config key 'storage.url (env NEWSDESK_STORAGE_URL)'" in line and "%40" in line
    assert "ss/w0rd" not in output.out + output.err
