"""The real bot watching its folder: a file still being written is never read, let alone posted, half-way."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS, settle_news
from tests.fakediscord import FakeDiscord
from tests.storyfiles import story_text, write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]


def test_story_written_in_slow_chunks_is_posted_once_complete(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot().start()
    text = story_text(1, title="The whole story, written slowly", excerpt="Every word of it, at last.")
    # Five chunks, 300 ms apart (ten times the 30 ms debounce): every partial file has an unfinished front
    # matter, with the title cut in the middle, which the old debounce read, rejected and logged.
    cut = text.index("written slowly")
    size = (len(text) - cut) // 4 + 1
    chunks = [text[:cut]] + [text[start : start + size] for start in range(cut, len(text), size)]
    assert len(chunks) == 5 and "".join(chunks) == text
    with open(bot.articles / "slow.md", "w", encoding="utf-8") as writer:
        for chunk in chunks:
            writer.write(chunk)
            writer.flush()
            time.sleep(0.3)
    write_story(bot.articles, "after.md", 2, title="Written after")  # its post means slow.md had its chance
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 2)
    settle_news(fake, bot)  # and anything the bot was to send to NEWS after that (an edit, a deletion) has been sent
    slow = [m for m in fake.messages(NEWS, include_deleted=True) if "slowly" in m["embeds"][0]["title"]]
    assert len(slow) == 1, "posted exactly once"
    message = slow[0]
    assert message["embeds"][0]["title"] == "The whole story, written slowly"
    assert message["embeds"][0]["description"].startswith("Every word of it, at last.")
    assert not message["edits"] and not message["deleted"], "no partial story was posted and then corrected"
    assert "Rejected story file slow.md" not in bot.log_text(), "a partial file was read"
