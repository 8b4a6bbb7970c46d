"""Hostile files with the real bot and the real command line (issues 17.6 and 20.4): impossible dates, values the
YAML library refuses, deep nesting, an alias bomb, a FIFO and a symlink out of the folder sit beside good stories.
Each bad file is rejected by name; every good story is posted, at start-up, live and after a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.badfiles import BAD_FILES, write_bad_files, write_good_files
from tests.botprocess import TOKEN, BotProcess
from tests.e2e.conftest import AI, NEWS, default_config
from tests.fakediscord import FakeDiscord
from tests.storyfiles import story_text, write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
SECRET = "Secret memo"


def titles(fake: FakeDiscord, channel: int) -> list[str]:
    return [m["embeds"][0]["title"] for m in fake.messages(channel, include_deleted=True)]


def plant_specials(tmp_path: Path, articles: Path, prefix: str = "") -> None:
    """A FIFO nobody writes to, and a symlink to a published story outside the folder."""
    os.mkfifo(articles / f"{prefix}stuck.txt")
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "memo.txt").write_text(story_text(77, title=SECRET), encoding="utf-8")
    (articles / f"{prefix}leak.txt").symlink_to("../outside/memo.txt")


def test_bad_files_are_rejected_by_name_and_good_ones_posted_at_start_live_and_after_a_restart(
    tmp_path: Path, fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot(articles={"backfill": "all"})
    write_bad_files(bot.articles)
    good = write_good_files(bot.articles)
    plant_specials(tmp_path, bot.articles)
    rejected = len(BAD_FILES) + 2

    bot.start()
    summary = bot.wait_for_log("Watching ")
    assert f"{len(good)} stories indexed, {len(good)} published, {rejected} files rejected" in summary
    fake.wait_for(lambda: len(fake.messages(NEWS)) == len(good))
    assert sorted(titles(fake, NEWS)) == sorted(good)
    for name in [*BAD_FILES, "stuck.txt", "leak.txt"]:
        assert f"Rejected story file {name}: " in bot.log_text(), name
    assert "Rejected story file stuck.txt: not a regular file: FIFO" in bot.log_text()
    assert "Traceback" not in bot.log_text()

    # Live: the same kinds of file arrive while the bot runs, then a good story written after them.
    live = bot.articles / "live"
    write_bad_files(live)
    plant_specials(tmp_path, bot.articles, prefix="live_")
    write_story(bot.articles, "after.md", 50, title="Written after the bad files")
    fake.wait_for(lambda: "Written after the bad files" in titles(fake, NEWS))
    bot.wait_for_log("Rejected story file live_stuck.txt: not a regular file: FIFO")
    bot.wait_for_log("Rejected story file live_leak.txt: a symlink to a file outside the articles folder")
    for name in BAD_FILES:
        bot.wait_for_log(f"Rejected story file live/{name}: ")

    # A restart reads the whole folder again: still nothing from outside, nothing twice.
    bot.stop()
    mark = len(bot.lines)
    bot.start()
    summary = bot.wait_for_log("Watching ", since=mark)
    assert f"{len(good) + 1} stories indexed" in summary and f"{2 * rejected} files rejected" in summary
    write_story(bot.articles, "after_restart.md", 51, title="Written after the restart")
    fake.wait_for(lambda: "Written after the restart" in titles(fake, NEWS))
    everything = titles(fake, NEWS) + titles(fake, AI)
    assert SECRET not in everything
    assert sorted(titles(fake, NEWS)) == sorted([*good, "Written after the bad files", "Written after the restart"])
    assert "Traceback" not in bot.log_text()


def newsdesk(tmp_path: Path, fake: FakeDiscord, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "newsdesk.yaml"
    config.write_text(yaml.safe_dump({**default_config(tmp_path), "articles": {"path": str(tmp_path / "articles")}}))
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": fake.api_base}
    command = [sys.executable, "-m", "bot", "--config", str(config), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_the_command_line_handles_a_folder_of_bad_files(tmp_path: Path, fake: FakeDiscord) -> None:
    articles = tmp_path / "articles"
    write_bad_files(articles)
    good = write_good_files(articles)
    plant_specials(tmp_path, articles)
    bad = [*BAD_FILES, "stuck.txt", "leak.txt"]

    checked = newsdesk(tmp_path, fake, "check")
    assert checked.returncode == 1, checked.stderr
    assert sorted(line.split(":", 1)[0] for line in checked.stdout.splitlines()) == sorted(bad)
    assert f"{len(bad) + len(good)} files checked, {len(bad)} rejected" in checked.stderr

    indexed = newsdesk(tmp_path, fake, "index")
    assert indexed.returncode == 0, indexed.stderr
    assert f"Indexed: {len(good)} stories, {len(good)} published, {len(bad)} files rejected" in indexed.stdout
    assert "Traceback" not in indexed.stderr

    for name in ("feb30.md", "deep_flow.md", "bomb.md", "stuck.txt"):
        explained = newsdesk(tmp_path, fake, "explain", str(articles / name))
        assert explained.returncode == 2, explained.stderr
        [line] = explained.stderr.strip().splitlines()[-1:]
        assert line.startswith(f"newsdesk: explain: {articles / name}: ")  # named as the operator named it
        assert "Traceback" not in explained.stderr
    fine = newsdesk(tmp_path, fake, "explain", str(articles / "title_date.md"))
    assert fine.returncode == 0 and fine.stdout.startswith("2026-13-01\n"), fine.stderr
