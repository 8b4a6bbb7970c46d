"""Answers in time: a command that writes or waits on the store acknowledges Discord first ("thinking..."), so a
busy folder never makes it miss the 3 s window (the fake refuses a later first answer, as Discord does)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.botprocess import BotProcess
from tests.e2e.conftest import NEWS, SCIENCE
from tests.e2e.test_newsroom import posted, resolved
from tests.fakediscord import ADMIN_PERMISSIONS, FakeDiscord
from tests.storyfiles import write_story

pytestmark = pytest.mark.e2e

MakeBot = Callable[..., BotProcess]
EPHEMERAL = 64


def test_feed_add_defers_while_the_database_is_held_and_answers_once_it_is_free(
    tmp_path: Path, fake: FakeDiscord, make_bot: MakeBot
) -> None:
    bot = make_bot().start()
    # The database's write lock, held from outside: the scan of the new file below and the route's write both
    # wait on it, as they would behind the catch-up scan of a large folder.
    holder = sqlite3.connect(tmp_path / "data" / "newsdesk.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        write_story(bot.articles, "waiting.md", 1, title="Waiting story", topics=["Space"])
        options = [
            {"name": "channel", "type": 7, "value": str(SCIENCE)},
            {"name": "topics", "type": 3, "value": "Space"},
        ]
        sent = fake.send_interaction(
            2,
            name="feed",
            subcommand="add",
            options=options,
            permissions=ADMIN_PERMISSIONS,
            resolved=resolved(fake, options),
        )
        deferred = fake.wait_for(lambda: fake.callback_for(sent.id))
        # Accepted (200): the fake refuses a first answer later than Discord's 3 s, with 404 Unknown Interaction.
        assert deferred["status"] == 200 and deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
        assert not fake.requests_to("POST", rf"^/webhooks/\d+/{sent.token}$"), "the answer waits for the route"
        assert not posted(fake, NEWS), "the scan waits for the database too"
    finally:
        holder.rollback()
        holder.close()
    answer = fake.answer_for(sent)
    assert "New stories will be posted" in json.dumps(answer["data"]) and answer["data"]["flags"] & EPHEMERAL
    fake.wait_for(lambda: [m for m in posted(fake, NEWS) if m["embeds"][0]["title"] == "Waiting story"])
