"""The command line, in-process: ``main([...])`` on a config and folders under ``tmp_path``."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from tests.pgserver import PostgresServer
from tests.unit.cli_site import clean_env, make_site, one_line  # noqa: F401  clean_env is autouse

# --- storage failures: one line naming storage.url, the path and the reason, exit 2 -----------------------

COMMANDS = (["run"], ["index"], ["status"], ["search"], ["sync"], ["backup", "copy.db"])


def storage_fault(tmp_path: Path, case: str) -> tuple[str, str, str]:
    """(storage.url, the path it names, a word of the reason) for each way a database can't be opened."""
    if case == "parent is a file":
        (tmp_path / "plain").write_text("x")
        path = tmp_path / "plain" / "newsdesk.db"
        return f"sqlite:///{path}", str(path), "is a file, not a folder"
    if case == "folder at the file's place":
        path = tmp_path / "db"
        path.mkdir()
        return f"sqlite:///{path}", str(path), "is a folder"
    if case == "under /proc":
        return "sqlite:////proc/newsdesk/newsdesk.db", "/proc/newsdesk/newsdesk.db", "/proc/newsdesk"
    path = tmp_path / "locked" / "newsdesk.db"
    path.parent.mkdir()
    path.parent.chmod(0o555)
    return f"sqlite:///{path}", str(path), "not writable"


CASES = ("parent is a file", "folder at the file's place", "under /proc", "read-only folder")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_storage_faults_end_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, case: str, command: list[str]
) -> None:
    if case == "read-only folder" and os.geteuid() == 0:
        pytest.skip("root ignores folder permissions, so a read-only folder can't be simulated")
    url, path, reason = storage_fault(tmp_path, case)
    # With a token the commands use storage.url as written; nothing reaches Discord before the store opens.
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")
    config = make_site(tmp_path, url)
    code = main(["--config", str(config), *command])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("newsdesk:") and "using the Discord" not in line]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert code == 2
    if command[0] != "backup":  # backup names the file it could not copy, with its own wording
        assert "storage.url" in lines[0]
    assert path in lines[0]
    if command[0] != "backup":
        assert reason in lines[0]


def test_status_without_a_database_says_so_and_creates_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    for command in ("status", "search"):
        assert main(["--config", str(config), command]) == 2
        line = one_line(capsys.readouterr().err.split("\n", 1)[1])
        assert "storage.url" in line and "no database here yet" in line and "newsdesk index" in line
    assert not (tmp_path / "data").exists()


# --- the config file's own errors ---------------------------------------------------------------------------


def test_missing_default_config_names_the_path_it_tried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(tmp_path / "elsewhere" / "config" / "newsdesk.yaml") in line
    assert "not found" in line


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"articles: [unclosed\n", "not valid YAML"),
        (b"- a\n- b\n", "expected a mapping"),
        (b"title: \xff\xfe\n", "not UTF-8"),
        (None, "is a folder"),
    ],
    ids=["not-yaml", "not-a-mapping", "not-utf8", "a-folder"],
)
@pytest.mark.parametrize("command", ["check", "status", "index", "search", "sync", "run"])
def test_config_file_errors_name_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, reason: str, command: str
) -> None:
    path = tmp_path / "bad.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    assert main([command, "--config", str(path)]) == 2
    line = one_line(capsys.readouterr().err)
    assert f"config file {path}" in line
    assert reason in line
    assert "config key" not in line


# --- one view of the data -------------------------------------------------------------------------------


def test_without_token_every_command_uses_the_console_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    console_db = tmp_path / "data" / "newsdesk.console.db"
    assert console_db.is_file()
    assert not (tmp_path / "data" / "newsdesk.db").exists()  # resolved against config/, not the working folder
    assert f"console mode's database {console_db}" in capsys.readouterr().err
    assert main(["--config", str(config), "status"]) == 0
    assert "2 published" in capsys.readouterr().out
    assert main(["--config", str(config), "search"]) == 0
    assert "Chip makers race" in capsys.readouterr().out
    # The console ledger holds console deliveries only; no Discord database was planned into.
    with sqlite3.connect(console_db) as db:
        assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 2


def test_with_token_commands_use_storage_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    assert main(["--config", str(config), "index"]) == 0
    assert (tmp_path / "data" / "newsdesk.db").is_file()
    assert not (tmp_path / "data" / "newsdesk.console.db").exists()
    assert "the Discord database" in capsys.readouterr().err


def test_token_from_dotenv_and_the_environment_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path)
    (tmp_path / "elsewhere" / ".env").write_text("DISCORD_TOKEN=from-dotenv\n", encoding="utf-8")
    assert main(["--config", str(config), "index"]) == 0
    assert os.environ["DISCORD_TOKEN"] == "from-dotenv"
    assert (tmp_path / "data" / "newsdesk.db").is_file()  # a token, so the Discord database
    output = capsys.readouterr()
    assert "from-dotenv" not in output.out + output.err
    monkeypatch.setenv("DISCORD_TOKEN", "from-environment")
    assert main(["--config", str(config), "status"]) == 0
    assert os.environ["DISCORD_TOKEN"] == "from-environment"


def test_migrate_prints_the_revision_before_and_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store.migrate import head

    config = make_site(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    assert main(["--config", str(config), "migrate"]) == 0
    db = tmp_path / "data" / "newsdesk.db"
    assert f"migrated from revision (empty database) to {head()}" in capsys.readouterr().out
    assert main(["--config", str(config), "migrate"]) == 0
    assert f"already at revision {head()}" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head()


def test_migrate_uses_the_environments_storage_url_and_never_prints_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", "postgresql+psycopg://bot:s3cret@127.0.0.1:1/news")
    assert main(["--config", str(config), "migrate"]) == 2
    output = capsys.readouterr()
    assert "s3cret" not in output.out + output.err
    assert "storage.url 'postgresql+psycopg://bot:***@127.0.0.1:1/news': cannot open the database" in output.err
    assert not (tmp_path / "data").exists()


def test_index_and_search_on_postgres(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    config = make_site(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", postgres.create_database())
    assert main(["--config", str(config), "index"]) == 0
    assert main(["--config", str(config), "search", "--query", "accelerators"]) == 0
    assert "Chip makers race to build AI accelerators" in capsys.readouterr().out
    assert main(["--config", str(config), "status"]) == 0
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", ["run", "index"])
def test_console_mode_never_plans_into_a_shared_postgres_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # Refused before connecting: the port is closed, so any attempt to open it would say so instead.
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", "postgresql+psycopg://bot:s3cret@127.0.0.1:1/news")
    config = make_site(tmp_path)
    assert main(["--config", str(config), command]) == 2
    output = capsys.readouterr()
    line = one_line(output.err)
    assert "console mode (no DISCORD_TOKEN) never plans into it" in line
    assert "postgresql+psycopg://bot:***@127.0.0.1:1/news" in line
    assert "s3cret" not in output.out + output.err
    assert not (tmp_path / "data").exists()


def test_without_token_status_reads_a_postgres_database_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    config = make_site(tmp_path)
    monkeypatch.setenv("NEWSDESK_STORAGE_URL", postgres.create_database())
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    assert main(["--config", str(config), "index"]) == 0
    monkeypatch.delenv("DISCORD_TOKEN")
    capsys.readouterr()
    assert main(["--config", str(config), "status"]) == 0
    output = capsys.readouterr()
    assert "no DISCORD_TOKEN; reading the shared database" in output.err
    assert "2 published" in output.out
    assert not (tmp_path / "data").exists()


# --- the command line as people type it --------------------------------------------------------------


def test_config_before_or_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    assert main(["status", "--config", str(config)]) == 0
    assert main(["--config", "/nonexistent.yaml", "status", "--config", str(config)]) == 0
    assert "2 published" in capsys.readouterr().out


def test_check_one_file_a_folder_and_a_warning_for_no_published_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_site(tmp_path)
    articles = tmp_path / "articles"
    assert main(["check", str(articles / "story1.md")]) == 0
    assert "1 files checked, 0 rejected, 0 warnings" in capsys.readouterr().err
    assert main(["check", str(articles / "draft.md")]) == 0  # a warning never fails
    out = capsys.readouterr()
    assert "draft.md: warning: no 'published' field" in out.out and "stays unpublished" in out.out
    assert main(["--config", str(config), "check"]) == 0
    assert "3 files checked, 0 rejected, 1 warnings" in capsys.readouterr().err
    (articles / "broken.md").write_text("no front matter\n", encoding="utf-8")
    assert main(["check", str(articles / "broken.md")]) == 1
    assert "broken.md: no front matter" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "missing.md")]) == 2
    assert "missing.md" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("run", ["console mode", "DISCORD_TOKEN"]),
        ("index", ["progress bar"]),
        ("check", ["PATH", "published"]),
        ("search", ["latest", "1-100", "--query"]),
        ("status", ["never creates a database"]),
        ("sync", ["--guild"]),
        ("invite", ["applications.commands", "--threads"]),
        ("backup", ["online backup", "--force"]),
        ("explain", ["FILE", "first rule that stopped it"]),
    ],
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str, words: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in text
    assert "--config PATH" in text


@pytest.mark.parametrize("limit", ["0", "-1", "101", "ten"])
def test_search_limit_must_be_1_to_100(capsys: pytest.CaptureFixture[str], limit: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["search", "--limit", limit])
    assert info.value.code == 2
    assert "from 1 to 100" in capsys.readouterr().err


def test_search_limit_bounds_are_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    main(["--config", str(config), "index"])
    assert main(["--config", str(config), "search", "--limit", "1"]) == 0
    assert capsys.readouterr().out.count("https://news.example.com/") == 1
    assert main(["--config", str(config), "search", "--limit", "100"]) == 0


# --- deploying ------------------------------------------------------------------------------------------


def test_invite_url_from_the_token_when_discord_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path)
    token = base64.b64encode(b"123456789012345678").decode().rstrip("=") + ".GxYz12.secretpart"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")  # nothing listens on port 9
    assert main(["--config", str(config), "invite"]) == 0
    out = capsys.readouterr()
    # View Channel, Send Messages, Embed Links, Read Message History, Manage Roles: 1<<10|1<<11|1<<14|1<<16|1<<28.
    assert (
        "https://discord.com/oauth2/authorize?client_id=123456789012345678"
        "&scope=bot+applications.commands&permissions=268520448" in out.out
    )
    for name in ("View Channel", "Send Messages", "Embed Links", "Read Message History", "Manage Roles"):
        assert name in out.out
    assert "application id read from the token" in out.err
    assert "secretpart" not in out.out + out.err


def test_invite_without_token_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(make_site(tmp_path)), "invite"]) == 2
    assert "DISCORD_TOKEN" in one_line(capsys.readouterr().err)


def test_backup_while_another_connection_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    live = tmp_path / "data" / "newsdesk.console.db"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, mid-transaction, during the backup
    writer.execute("INSERT INTO meta (key, value) VALUES ('in-flight', 'x')")
    target = tmp_path / "backup.db"
    try:
        assert main(["--config", str(config), "backup", str(target)]) == 0
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert f"to {target}" in capsys.readouterr().out
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM stories").fetchone()[0] == 3
        assert copy.execute("SELECT count(*) FROM meta WHERE key = 'in-flight'").fetchone()[0] == 0
    # An existing file is kept unless --force.
    before = target.read_bytes()
    assert main(["--config", str(config), "backup", str(target)]) == 2
    assert "--force" in capsys.readouterr().err.splitlines()[-1]
    assert target.read_bytes() == before
    assert main(["--config", str(config), "backup", str(target), "--force"]) == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM meta WHERE key = 'in-flight'").fetchone()[0] == 1


def test_backup_refuses_a_non_sqlite_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    config = make_site(tmp_path, "postgresql://db.example/newsdesk")
    assert main(["--config", str(config), "backup", str(tmp_path / "x.db")]) == 2
    assert "storage.url is 'postgresql://db.example/newsdesk'" in capsys.readouterr().err


def test_make_clean_keeps_data() -> None:
    root = Path(__file__).parents[2]
    clean = subprocess.run(["make", "-n", "clean"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert "rm" in clean and "data" not in clean
    reset = subprocess.run(["make", "-n", "clean-data"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert "rm -rf data" in reset and "WARNING" in reset
