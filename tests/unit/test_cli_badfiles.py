"""``newsdesk check``, ``explain`` and ``index`` on a folder of hostile files beside good ones (issues 17.6, 17.7,
20.4): each bad file is one line naming it, the rest is processed, and warnings flag values surely not meant."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.badfiles import BAD_FILES, write_bad_files, write_good_files, yaml_trips_on
from tests.storyfiles import story_text
from tests.unit.cli_site import clean_env  # noqa: F401  clean_env is autouse

CONFIG = """
articles:
  path: ../articles
  backfill: all
  max_file_bytes: {max_bytes}
storage:
  url: sqlite:///../data/newsdesk.db
channels:
  - id: 1234
    name: news
    topics: "*"
"""


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    path = tmp_path / "articles"
    path.mkdir()
    return path


def site(tmp_path: Path, max_bytes: int = 1024 * 1024) -> Path:
    (tmp_path / "config").mkdir(exist_ok=True)
    config = tmp_path / "config" / "newsdesk.yaml"
    config.write_text(CONFIG.format(max_bytes=max_bytes), encoding="utf-8")
    return config


def hostile_folder(tmp_path: Path, articles: Path) -> list[str]:
    """The bad files, the good ones, a FIFO and a symlink out of the folder; returns the good titles."""
    write_bad_files(articles)
    titles = write_good_files(articles)
    os.mkfifo(articles / "stuck.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "memo.txt").write_text(story_text(1, title="Secret memo"), encoding="utf-8")
    (articles / "leak.txt").symlink_to("../outside/memo.txt")
    return titles


REFUSED = {
    "stuck.txt": "stuck.txt: not a regular file: FIFO",
    "leak.txt": "leak.txt: a symlink to a file outside the articles folder: not read",
}


@pytest.mark.timeout(60)
def test_check_reports_every_bad_file_by_name_and_checks_the_rest(
    tmp_path: Path, articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    titles = hostile_folder(tmp_path, articles)
    assert main(["check", str(articles)]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    rejected = {line.split(":", 1)[0] for line in lines}
    assert rejected == set(BAD_FILES) | set(REFUSED)
    assert len(lines) == len(rejected), "one line per bad file"
    for name, (_text, reason) in BAD_FILES.items():
        assert any(line.startswith(f"{name}: ") and reason in line for line in lines), name
    for line in REFUSED.values():
        assert line in lines
    total = len(BAD_FILES) + len(REFUSED) + len(titles)
    assert f"{total} files checked, {len(rejected)} rejected, 0 warnings" in out.err
    assert "Traceback" not in out.out + out.err and "unexpected error" not in out.err


@pytest.mark.timeout(60)
def test_index_indexes_the_good_files_beside_the_bad_ones(
    tmp_path: Path, articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    titles = hostile_folder(tmp_path, articles)
    config = site(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    out = capsys.readouterr().out
    bad = len(BAD_FILES) + len(REFUSED)
    assert f"Indexed: {len(titles)} stories, {len(titles)} published, {bad} files rejected" in out
    assert main(["--config", str(config), "search", "--limit", "100"]) == 0
    listed = capsys.readouterr().out
    assert all(title in listed for title in titles) and "Secret memo" not in listed


@pytest.mark.parametrize("name", ["feb30.md", "huge_int.md", "deep_flow.md", "bomb.md", "not_utf8.md", "stuck.txt"])
@pytest.mark.timeout(60)
def test_explain_on_a_bad_file_is_one_line_naming_it(
    tmp_path: Path, articles: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    hostile_folder(tmp_path, articles)
    assert main(["--config", str(site(tmp_path)), "explain", str(articles / name)]) == 2
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if line.startswith("newsdesk: explain:")]
    assert line.startswith(f"newsdesk: explain: {articles / name}: ")  # named as the operator named it
    assert "Traceback" not in err


def test_explain_follows_a_symlink_named_on_the_command_line(
    tmp_path: Path, articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Named on the command line, a symlink is followed (the user chose the file); the bot never follows it.
    hostile_folder(tmp_path, articles)
    assert main(["--config", str(site(tmp_path)), "explain", str(articles / "leak.txt")]) == 0
    assert "Secret memo" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "warning"),
    [
        ("published: yes", "published: 'yes' is not true, so it stays unpublished"),
        ("published: 'on'", "published: 'on' is not true"),
        ("published: 1", "published: 1 is not true"),
        ("published:", "published: null is not true"),
        ("quality: 150", "quality 150 is outside 0-100"),
        ("heat: -5", "heat -5 is outside 0-100"),
        ("heat: 101", "heat 101 is outside 0-100"),
    ],
)
def test_check_warns_about_values_surely_not_meant(
    articles: Path, capsys: pytest.CaptureFixture[str], line: str, warning: str
) -> None:
    key = line.split(":", 1)[0]
    fields = {"title": "T", "published": True, "quality": 50, "heat": 5}
    front = "".join(f"{k}: {yaml.safe_dump(v).split(chr(10))[0]}\n" for k, v in fields.items() if k != key)
    (articles / "a.md").write_text(f"---\n{front}{line}\n---\n", encoding="utf-8")
    assert main(["check", str(articles / "a.md")]) == 0  # warnings never fail
    out = capsys.readouterr()
    [printed] = out.out.splitlines()
    assert printed.startswith(f"a.md: warning: {warning}")
    assert "1 files checked, 0 rejected, 1 warnings" in out.err


@pytest.mark.parametrize("line", ["published: false", "published: 'FALSE'", "heat: -1", "quality: 0", "heat: 100"])
def test_check_is_quiet_about_ordinary_values(articles: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    key = line.split(":", 1)[0]
    rest = "".join(f"{k}: {v}\n" for k, v in {"published": "true", "quality": 50, "heat": 5}.items() if k != key)
    (articles / "a.md").write_text(f"---\ntitle: T\n{rest}{line}\n---\n", encoding="utf-8")
    assert main(["check", str(articles / "a.md")]) == 0
    out = capsys.readouterr()
    assert out.out == "" and "0 warnings" in out.err


def test_check_path_honours_the_configs_size_cap(
    tmp_path: Path, articles: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (articles / "long.md").write_text(story_text(1) + "x" * 3000, encoding="utf-8")
    assert main(["check", str(articles)]) == 0  # no config: the 1 MiB default
    capsys.readouterr()
    config = site(tmp_path, max_bytes=2048)
    assert main(["--config", str(config), "check", str(articles)]) == 1
    assert "long.md: file is" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)  # the default config/newsdesk.yaml is found from here
    assert main(["check", str(articles / "long.md")]) == 1
    assert "over the 2048-byte cap (articles.max_file_bytes)" in capsys.readouterr().out


def test_check_survives_a_surprise_in_one_file(
    articles: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    yaml_trips_on("surprise", monkeypatch)
    (articles / "a_odd.md").write_text("---\ntitle: surprise\n---\n", encoding="utf-8")
    write_good_files(articles)
    assert main(["check", str(articles)]) == 1
    out = capsys.readouterr()
    assert out.out == "a_odd.md: cannot be parsed: unexpected KeyError: 'the library tripped'\n"
    assert "5 files checked, 1 rejected, 0 warnings" in out.err


def test_check_warns_about_two_files_with_one_web_url(articles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (articles / "a.md").write_text(story_text(1), encoding="utf-8")
    (articles / "b.md").write_text(story_text(1, webUrl="HTTPS://News.Example/2026/story-1/?utm_source=x"), "utf-8")
    (articles / "c.md").write_text(story_text(2), encoding="utf-8")
    assert main(["check", str(articles)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "b.md: warning: same webUrl as a.md (https://news.example/2026/story-1): one story, defined by the file "
        "written last"
    ]
