"""Rejected story files with the real bot: a slow copy is reported once per reason, and start-up names them."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import ALERTS, NEWS
from tests.fakediscord import FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
UNCLOSED = "---\ntitle: Copied slowly\nexcerpt: "


def rejections(bot: BotProcess, name: str) -> list[str]:
    return [line for line in bot.log_text().splitlines() if f"Rejected story file {name}:" in line]


def test_a_slow_copy_is_reported_once_per_reason(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(alerts={"channel": ALERTS}).start()
    slow = bot.articles / "slow.md"
    slow.write_text(UNCLOSED)
    bot.wait_for_log("Rejected story file slow.md: front matter is not closed")
    for chunk in ("words", " and more words", " and the rest of the excerpt\n", "body: "):
        time.sleep(0.2)  # pace the writes like a slow copy: each one is a separate change event
        with slow.open("a") as handle:
            handle.write(chunk)
    # Changes are handled in order: once this later file is posted, every append above has been processed.
    write_story(bot.articles, "marker.md", 1, title="After the appends")
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1)
    assert len(rejections(bot, "slow.md")) == 1
    [alert] = fake.wait_for(lambda: fake.messages(ALERTS))
    assert "slow.md: front matter is not closed" in alert["embeds"][0]["description"]

    slow.write_text("---\nexcerpt: the title went missing\n---\n")
    bot.wait_for_log("Rejected story file slow.md: title")
    fake.wait_for(lambda: len(fake.messages(ALERTS)) == 2)
    assert len(rejections(bot, "slow.md")) == 2
    assert "slow.md: title" in fake.messages(ALERTS)[1]["embeds"][0]["description"]

    bot.stop()
    for n in range(6):
        (bot.articles / f"bad{n}.md").write_text(UNCLOSED)
    mark = len(bot.lines)
    bot.start()
    summary = bot.wait_for_log("Watching ", since=mark)
    assert "7 files rejected (bad0.md, bad1.md, bad2.md, bad3.md, bad4.md, …and 2 more)" in summary
    assert len(rejections(bot, "slow.md")) == 2, "a file left as it was is not reported again at start-up"
