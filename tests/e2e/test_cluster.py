"""Several processes over one PostgreSQL database against the fake Discord: shard locks, hot standbys."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS
from tests.fakediscord import FakeDiscord
from tests.pgserver import PostgresServer, PostgresUnavailable
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    try:
        server: PostgresServer = request.getfixturevalue("postgres")
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here: {exc}")
    yield server.create_database()


def test_a_standby_connects_nothing_and_takes_over_within_15_s_of_a_sigkill(
    fake: FakeDiscord, make_bot: MakeBot, pg_url: str
) -> None:
    storage = {"url": pg_url}
    holder = make_bot(storage=storage).start()
    standby = make_bot(storage=storage).start(ready=False)
    standby.wait_for_log("Standby for", since=standby.mark)
    assert len(fake.identified_shards) == 1, "the standby connects nothing"

    write_story(holder.articles, "one.md", 1, title="Before the crash")
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 1)

    holder.kill()
    # The bound: the standby holds the shard within 15 s of the holder's death.
    standby.wait_for_log("Holding the locks", since=standby.mark, timeout=15)
    standby.wait_for_log("Connected to Discord", since=standby.mark)
    assert len(fake.identified_shards) == 2

    write_story(standby.articles, "two.md", 2, title="After the crash")
    fake.wait_for(lambda: len(fake.messages(NEWS)) == 2)
    time.sleep(1.0)
    titles = [m["embeds"][0]["title"] for m in fake.messages(NEWS)]
    assert sorted(titles) == ["After the crash", "Before the crash"], "each story exactly once"
