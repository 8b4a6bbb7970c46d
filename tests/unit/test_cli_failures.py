"""Foreseeable failures of the command line end in one line naming what is wrong, with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.unit.cli_site import clean_env, make_site, one_line  # noqa: F401  clean_env is autouse


def indexed_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    config = make_site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    capsys.readouterr()
    return config


def failure(capsys: pytest.CaptureFixture[str]) -> str:
    """The one ``newsdesk:`` line after the line saying which database the command used."""
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unexpected error" not in err
    return one_line("\n".join(line for line in err.splitlines() if "DISCORD_TOKEN" not in line))


def test_backup_to_a_missing_folder_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = indexed_site(tmp_path, capsys)
    target = tmp_path / "no" / "such" / "folder" / "copy.db"
    assert main(["--config", str(config), "backup", str(target)]) == 2
    assert failure(capsys) == f"newsdesk: backup: no folder {target.parent} to write copy.db in"
    assert not target.parent.exists()


def test_backup_to_a_place_that_cannot_be_written_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = indexed_site(tmp_path, capsys)
    # /proc refuses new files even to root, unlike a read-only folder.
    assert main(["--config", str(config), "backup", "/proc/newsdesk-copy.db"]) == 2
    line = failure(capsys)
    assert line.startswith("newsdesk: backup of ") and "to /proc/newsdesk-copy.db failed: " in line


def test_a_file_that_cannot_be_read_is_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # /proc/self/mem is a regular file whose read fails (EIO) even for root: any unreadable story file stands in.
    config = make_site(tmp_path)
    assert main(["--config", str(config), "explain", "/proc/self/mem"]) == 2
    assert failure(capsys) == "newsdesk: explain: /proc/self/mem: cannot read: Input/output error"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql+psycopg://bot:s3cr3t@db.example:port/news", ["is the port a number?", "bot:***@db.example"]),
        ("postgresql+psycopg://bot:s3cr@t@db.example/news", ["unescaped '@'", "%40", "bot:***@db.example/news"]),
    ],
    ids=["bad-port", "unescaped-at"],
)
def test_a_storage_url_sqlalchemy_would_misread_is_refused_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, words: list[str]
) -> None:
    config = make_site(tmp_path, url)
    assert main(["--config", str(config), "status"]) == 2
    output = capsys.readouterr()
    line = one_line(output.err)
    assert line.startswith("newsdesk: config key 'storage.url': ")
    for word in words:
        assert word in line
    assert "s3cr" not in output.out + output.err


def test_check_path_honours_the_configs_file_size_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    big = tmp_path / "articles" / "story1.md"
    big.write_text(big.read_text(encoding="utf-8") + "x" * 3000, encoding="utf-8")
    assert main(["check", str(big)]) == 0  # no config: the default cap (1 MiB)
    config.write_text(config.read_text(encoding="utf-8").replace("  backfill: all", "  max_file_bytes: 2048"))
    capsys.readouterr()
    assert main(["--config", str(config), "check", str(big)]) == 1
    assert "over the 2048-byte cap (articles.max_file_bytes)" in capsys.readouterr().out
