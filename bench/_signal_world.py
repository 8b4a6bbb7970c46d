"""bench_signal's world: the fake Discord with a forum and a few hundred members, the bot posting into a plain
channel, one with discussion threads and the forum, and a deterministic stream of member actions with its own
tally of what the counts must become."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from bench._harness import TOKEN, FakeDiscord
from tests.botprocess import BotProcess
from tests.fakediscord import ChannelSpec, MemberSpec
from tests.fakediscord.routes_signal import REACT, REPLY, UNREACT, SignalEvent
from tests.fakediscord.world import BOT_PERMISSIONS, BOT_ROLE_ID, default_guild
from tests.storyfiles import write_story

NEWS, SCIENCE, FORUM = 200000000000000001, 200000000000000003, 200000000000000011
CREATE_PUBLIC_THREADS, MANAGE_THREADS = 1 << 35, 1 << 34
REACTORS, PROBERS = (
    range(700_000_000_000_000_000, 700_000_000_000_000_400),
    range(710_000_000_000_000_000, 710_000_000_000_000_030),
)
EMOJI = ("👍", "🔥", "🎉", "😮")
Row = tuple[int, int]  # (story, channel)


@dataclass(frozen=True)
class Post:
    story_id: int
    channel_id: int
    where: int  # the channel holding the post's message (a forum post's starter message is in the post)
    message_id: int
    thread_id: int | None


@dataclass
class Tally:
    """What the counts must be: the events' own sum, per (story, channel)."""

    reactions: dict[Row, int] = field(default_factory=lambda: defaultdict(int))
    emoji: dict[Row, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    replies: dict[Row, int] = field(default_factory=lambda: defaultdict(int))

    def expected(self) -> dict[Row, tuple[int, dict[str, int], int]]:
        rows = set(self.reactions) | set(self.replies)
        return {r: (self.reactions[r], {k: v for k, v in self.emoji[r].items() if v}, self.replies[r]) for r in rows}


class Events:
    """A deterministic stream: adds (55%), removes of earlier adds (25%), replies (20%, on posts with a thread);
    popular stories get more (Zipf over the posts), from 400 members and 4 emoji."""

    def __init__(self, posts: list[Post], seed: int = 19) -> None:
        self.posts = posts
        self.rng = random.Random(seed)
        self.weights = [1.0 / (i + 1) for i in range(len(posts))]
        self.threaded = [p for p in posts if p.thread_id is not None]
        self.on: list[tuple[int, int, str]] = []  # (member, post index, emoji) reacted now
        self.where: dict[tuple[int, int, str], int] = {}  # its place in ``on``
        self.tally = Tally()

    def take(self, count: int) -> list[SignalEvent]:
        return [self._next() for _ in range(count)]

    def _next(self) -> SignalEvent:
        roll = self.rng.random()
        if roll < 0.2 and self.threaded:
            post = self.rng.choice(self.threaded)
            assert post.thread_id is not None
            self.tally.replies[(post.story_id, post.channel_id)] += 1
            return SignalEvent(REPLY, post.thread_id, 0, "", self.rng.choice(REACTORS))
        if roll < 0.45 and self.on:
            key = self._forget(self.rng.randrange(len(self.on)))
            return self._reaction(key, -1)
        while True:
            index = self.rng.choices(range(len(self.posts)), self.weights)[0]
            key = (self.rng.choice(REACTORS), index, self.rng.choice(EMOJI))
            if key not in self.where:
                self.where[key] = len(self.on)
                self.on.append(key)
                return self._reaction(key, 1)

    def _forget(self, at: int) -> tuple[int, int, str]:
        key, last = self.on[at], self.on[-1]
        self.on[at], self.where[last] = last, at
        self.on.pop()
        del self.where[key]
        return key

    def _reaction(self, key: tuple[int, int, str], delta: int) -> SignalEvent:
        user, index, emoji = key
        post = self.posts[index]
        row = (post.story_id, post.channel_id)
        self.tally.reactions[row] += delta
        self.tally.emoji[row][emoji] += delta
        return SignalEvent(REACT if delta > 0 else UNREACT, post.where, post.message_id, emoji, user)


# ----- the bot and its world ----------------------------------------------------------------------------------


def make_fake() -> FakeDiscord:
    guild = default_guild()
    guild.channels.append(ChannelSpec(id=FORUM, name="stories", type=15))
    guild.members += [MemberSpec(id=u, username=f"member{u % 10_000}") for u in [*REACTORS, *PROBERS]]
    role = guild.role(BOT_ROLE_ID)
    assert role is not None
    role.permissions = BOT_PERMISSIONS | CREATE_PUBLIC_THREADS | MANAGE_THREADS
    # Discord's own limits on the bot's requests; none per channel, so posting a few hundred stories is quick.
    return FakeDiscord(token=TOKEN, guilds=[guild], channel_rate=None)


def start_bot(workdir: Path, fake: FakeDiscord) -> BotProcess:
    (workdir / "articles").mkdir(parents=True, exist_ok=True)
    config = {
        "articles": {"path": str(workdir / "articles"), "backfill": "none", "rescan_seconds": 3600},
        "storage": {"url": f"sqlite:///{workdir / 'data' / 'newsdesk.db'}"},
        "channels": [
            {"id": NEWS, "name": "news", "topics": ["World"]},
            {"id": SCIENCE, "name": "science", "topics": ["Talk"], "thread": True},
            {"id": FORUM, "name": "stories", "topics": ["Forum"]},
        ],
        "log_level": "INFO",
    }
    return BotProcess(workdir, fake, config).start()


def post_stories(bot: BotProcess, count: int) -> list[Post]:
    """Two thirds plain posts, a sixth with a discussion thread, a sixth forum posts; returns them once all are out."""
    topics = ["World"] * 4 + ["Talk", "Forum"]
    for i in range(count):
        write_story(bot.articles, f"s{i:04d}.md", i, title=f"Story {i}", topics=[topics[i % len(topics)]])
    db = bot.workdir / "data" / "newsdesk.db"
    bot.fake.wait_for(lambda: len(posts(db)) >= count, timeout=60 + count / 5)
    return posts(db)


def posts(db: Path) -> list[Post]:
    query = (
        "SELECT story_id, channel_id, message_id, thread_id FROM deliveries "
        "WHERE state = 'sent' AND message_id IS NOT NULL"
    )
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        rows = conn.execute(query).fetchall()
    return [Post(s, c, t if c == FORUM else c, m, t) for s, c, m, t in sorted(rows)]


def stored(db: Path) -> dict[Row, tuple[int, dict[str, int], int]]:
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        rows = conn.execute("SELECT story_id, channel_id, reactions, emoji, replies FROM signal_counts").fetchall()
    return {(s, c): (n, {k: v for k, v in json.loads(e).items() if v}, r) for s, c, n, e, r in rows if n or r}


def mismatch(have: dict[Row, tuple[int, dict[str, int], int]], want: dict[Row, tuple[int, dict[str, int], int]]) -> int:
    empty: tuple[int, dict[str, int], int] = (0, {}, 0)
    total = 0
    for row in set(have) | set(want):
        (n1, e1, r1), (n2, e2, r2) = have.get(row, empty), want.get(row, empty)
        total += abs(n1 - n2) + abs(r1 - r2) + sum(abs(e1.get(k, 0) - e2.get(k, 0)) for k in set(e1) | set(e2))
    return total
