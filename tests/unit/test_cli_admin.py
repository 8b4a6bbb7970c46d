"""``newsdesk backup`` and ``newsdesk migrate`` say their success once: the command's own line, no log line
repeating it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.unit.cli_site import clean_env, make_site  # noqa: F401  clean_env is autouse


def said(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Everything a command said: its output, its errors and its log lines (pytest's handler holds those)."""
    output = capsys.readouterr()
    return output.out + output.err + caplog.text


def test_migrate_says_its_success_once(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.store.migrate import head

    config = make_site(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    with caplog.at_level("INFO"):
        assert main(["--config", str(config), "migrate"]) == 0
    text = said(capsys, caplog)
    assert text.count("igrated") == 1, text
    assert f"migrated from revision (empty database) to {head()}" in text


def test_backup_says_its_success_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    config = make_site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    capsys.readouterr()
    caplog.clear()
    target = tmp_path / "backup.db"
    with caplog.at_level("INFO"):
        assert main(["--config", str(config), "backup", str(target)]) == 0
    text = said(capsys, caplog)
    assert text.count("Backed up") == 1, text
    assert f"Backed up {tmp_path / 'data' / 'newsdesk.console.db'} to {target} (" in text
