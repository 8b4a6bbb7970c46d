"""Editorial workflows against the real bot: only what is new to a route is posted, a flicker changes nothing,
edits edit. Each step is counted in POST/PATCH/DELETE requests to Discord; a marker story (posted to the same
channel queue, after everything before it) tells when a step that must send nothing has been fully handled."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from tests.botprocess import BotProcess
from tests.e2e.conftest import AI, NEWS, SCIENCE
from tests.e2e.test_newsroom import command, posted, reply_text
from tests.fakediscord import FakeDiscord
from tests.storyfiles import story_fields, story_text, write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
GRACE = 1.0
MESSAGE = r"^/channels/\d+/messages(/\d+)?$"
RECENT = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Counter:
    """POST/PATCH/DELETE of messages since the last look, without the markers' own posts."""

    def __init__(self, fake: FakeDiscord, bot: BotProcess) -> None:
        self.fake, self.bot = fake, bot
        self.seen = len(fake.requests)
        self.markers = 0

    def _take(self) -> tuple[int, int, int]:
        tail = self.fake.requests_since(self.seen)
        self.seen += len(tail)
        new = [r for r in tail if "/messages" in r["path"]]
        return tuple(sum(1 for r in new if r["method"] == m) for m in ("POST", "PATCH", "DELETE"))  # type: ignore[return-value]

    def after_marker(self) -> tuple[int, int, int]:
        """What happened before a marker story (NEWS only) was posted, the marker's POST left out."""
        self.markers += 1
        title = f"Marker {self.markers}"
        write_story(self.bot.articles, f"markers/{self.markers}.md", 900 + self.markers, title=title, topics=["Mark"])
        self.fake.wait_for(lambda: any(m["embeds"][0]["title"] == title for m in posted(self.fake, NEWS)))
        posts, patches, deletes = self._take()
        return posts - 1, patches, deletes

    def until(self, expected: tuple[int, int, int]) -> tuple[int, int, int]:
        """Wait for at least ``expected`` requests, then make sure no more came (a marker)."""
        start = self.seen

        def arrived() -> bool:
            tail = [r for r in self.fake.requests_since(start) if "/messages" in r["path"]]
            return all(
                sum(1 for r in tail if r["method"] == m) >= n
                for m, n in zip(("POST", "PATCH", "DELETE"), expected, strict=True)
            )

        self.fake.wait_for(arrived)
        return self.after_marker()


def rewrite_same_bytes(path: os.PathLike[str]) -> None:
    data = open(path, "rb").read()  # noqa: SIM115
    with open(path, "wb") as handle:
        handle.write(data)


def rewrite_other_layout(folder: Any, name: str, n: int, **overrides: Any) -> None:
    fields = story_fields(n, **overrides)
    front = yaml.safe_dump(dict(reversed(list(fields.items()))), default_flow_style=True, width=10_000)
    (folder / name).write_text(f"---\n{front}---\n", encoding="utf-8")


def rsync_replace(folder: Any, name: str, n: int, **overrides: Any) -> None:
    """What rsync and many sync tools do: write a hidden temp file beside it, then rename it over the old one."""
    tmp = folder / f".{name}.Xy12ab"
    tmp.write_text(story_text(n, **overrides), encoding="utf-8")
    os.rename(tmp, folder / name)


def test_every_editorial_workflow_sends_exactly_what_it_must(fake: FakeDiscord, make_bot: MakeBot) -> None:
    bot = make_bot(articles={"delete_grace": GRACE})
    folder = bot.articles
    folder.mkdir(exist_ok=True)
    for n in range(1, 6):  # the archive: in the folder before the first run (backfill: none)
        write_story(folder, f"{n}.md", n, topics=["Space"], publishedDateTime=RECENT)
    bot.start()
    count = Counter(fake, bot)
    assert count.after_marker() == (0, 0, 0)

    write_story(folder, "1.md", 1, topics=["Space"], publishedDateTime=RECENT, excerpt="A typo, fixed.")
    assert count.after_marker() == (0, 0, 0), "typo fix to an archive story"
    rewrite_same_bytes(folder / "2.md")
    rewrite_other_layout(folder, "3.md", 3, topics=["Space"], publishedDateTime=RECENT)
    assert count.after_marker() == (0, 0, 0), "regeneration: same bytes, and the same data in another layout"
    write_story(folder, "4.md", 4, topics=["Space", "AI"], publishedDateTime=RECENT)
    assert count.after_marker() == (0, 0, 0), "archive story gains a topic"

    write_story(folder, "10.md", 10, topics=["AI"], title="Fresh AI story")
    assert count.until((2, 0, 0)) == (2, 0, 0), "new story: one post per route"
    write_story(folder, "10.md", 10, topics=["AI"], title="Fresh AI story, fixed")
    assert count.until((0, 2, 0)) == (0, 2, 0), "typo fix to a posted story: PATCH only"
    os.rename(folder / "10.md", folder / "ten.md")  # git mv
    assert count.after_marker() == (0, 0, 0), "git mv"
    rsync_replace(folder, "ten.md", 10, topics=["AI"], title="Fresh AI story, synced")
    assert count.until((0, 2, 0)) == (0, 2, 0), "rsync-style replace"

    write_story(folder, "11.md", 11, topics=["Space"], title="Live space story")
    assert count.until((1, 0, 0)) == (1, 0, 0)
    write_story(folder, "11.md", 11, topics=["Space", "AI"], title="Live space story")
    assert count.until((1, 1, 0)) == (1, 1, 0), "live story gains a topic: a post to the new route (and an edit)"
    assert [m["embeds"][0]["title"] for m in posted(fake, AI)] == ["Fresh AI story, synced", "Live space story"]

    (folder / "ten.md").unlink()  # git checkout other && git checkout -
    time.sleep(0.3)
    write_story(folder, "ten.md", 10, topics=["AI"], title="Fresh AI story, synced")
    time.sleep(GRACE + 0.5)
    assert count.after_marker() == (0, 0, 0), "deleted and back within the grace"

    (folder / "11.md").unlink()
    assert count.until((0, 0, 2)) == (0, 0, 2), "deleted for longer than the grace"

    write_story(folder, "ten.md", 10, topics=["AI"], title="Fresh AI story, synced", published=False)
    assert count.until((0, 0, 2)) == (0, 0, 2), "unpublish"
    write_story(folder, "ten.md", 10, topics=["AI"], title="Fresh AI story, synced")
    assert count.until((2, 0, 0)) == (2, 0, 0), "republish"
    assert "Traceback" not in bot.log_text()


def test_a_route_added_from_discord_after_the_folder_filled_posts_only_what_is_new(
    fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot(articles={"delete_grace": GRACE})
    folder = bot.articles
    folder.mkdir(exist_ok=True)
    write_story(folder, "old.md", 1, topics=["Space"], publishedDateTime=RECENT, title="Archive story")
    bot.start()
    write_story(folder, "live.md", 2, topics=["Space"], publishedDateTime=RECENT, title="Live before the route")
    fake.wait_for(lambda: len(posted(fake, NEWS)) == 1)
    added = command(
        fake,
        "feed",
        "add",
        [{"name": "channel", "type": 7, "value": str(SCIENCE)}, {"name": "topics", "type": 3, "value": "Space"}],
    )
    assert str(SCIENCE) in reply_text(added)
    count = Counter(fake, bot)
    write_story(folder, "old.md", 1, topics=["Space"], publishedDateTime=RECENT, title="Archive story, edited")
    write_story(folder, "live.md", 2, topics=["Space"], publishedDateTime=RECENT, title="Live before, edited")
    assert count.until((0, 1, 0)) == (0, 1, 0)  # the posted one edited in NEWS, nothing for the new route
    assert posted(fake, SCIENCE) == []
    write_story(folder, "new.md", 3, topics=["Space"], title="New after the route")
    fake.wait_for(lambda: [m["embeds"][0]["title"] for m in posted(fake, SCIENCE)] == ["New after the route"])
    explained = command(fake, "feed", "explain", [{"name": "story", "type": 3, "value": "Archive story, edited"}])
    assert "in the folder before this route began (archive); /feed backfill posts it" in reply_text(explained)
    backfill = command(
        fake,
        "feed",
        "backfill",
        [{"name": "channel", "type": 7, "value": str(SCIENCE)}, {"name": "since", "type": 3, "value": "7d"}],
    )
    assert "2" in reply_text(backfill)
    fake.wait_for(lambda: len(posted(fake, SCIENCE)) == 3)
    assert sorted(m["embeds"][0]["title"] for m in posted(fake, SCIENCE)) == [
        "Archive story, edited",
        "Live before, edited",
        "New after the route",
    ]
