"""``rank: discussed`` digests: the option (config and /digest schedule), its storage, the "Most discussed"
section, and a run that orders by the community's counts (both backends)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.digest.render import MOST_DISCUSSED, MOST_DISCUSSED_TITLE, build_digest_messages
from bot.digest.runner import DigestRunner
from bot.digest_spec import CONFIG_KEYS, make_spec
from bot.options import OptionError
from bot.signal.ranking import Engagement
from bot.store import Store
from bot.store.digest_tables import digests
from bot.store.meta_keys import MetaKey
from tests.fakediscord import validate_message
from tests.signals import put_counts
from tests.unit.test_digest_render import END, START, long_story, story
from tests.unit.test_digest_runner import CHANNEL, GUILD, RecordingSink, add
from tests.unit.test_digest_spec import config, config_error

NAME: dict[str, Any] = {"name": "morning", "channel_id": CHANNEL, "time": "09:00"}


def test_rank_is_default_unless_discussed_and_a_bad_value_names_the_option() -> None:
    assert make_spec(**NAME).rank == "default" and not make_spec(**NAME).discussed
    made = make_spec(**NAME, rank="Discussed")
    assert made.discussed and made.describe_filters().endswith("most discussed first")
    assert make_spec(**NAME, rank="default").describe_filters() == "all topics, up to 10 stories, at least 1"
    for bad in ("loudest", 3, ""):
        with pytest.raises(OptionError) as info:
            make_spec(**NAME, rank=bad)
        assert info.value.option == "rank" and "discussed" in info.value.reason and info.value.example


def test_config_digests_take_rank_and_name_the_full_key_when_it_is_wrong() -> None:
    assert "rank" in CONFIG_KEYS
    entry = f"digests:\n  - name: talk\n    channel: {CHANNEL}\n    time: '09:00'\n    rank: "
    assert config(entry + "discussed").digests[0].discussed
    assert config_error(entry + "loud") == "digests[0].rank"


def test_the_rank_is_stored_null_for_the_default(store: Store) -> None:
    talk = store.digests.save(GUILD, make_spec(**{**NAME, "name": "talk"}, rank="discussed"))
    plain = store.digests.save(GUILD, make_spec(**NAME))
    assert store.digests.get(talk.id).spec.discussed  # type: ignore[union-attr]
    assert store.digests.get(plain.id).spec.rank == "default"  # type: ignore[union-attr]
    with store.engine.connect() as conn:
        rows = conn.execute(digests.select().with_only_columns(digests.c.name, digests.c.rank))
        stored = {row.name: row.rank for row in rows}
    assert stored == {"talk": "discussed", "morning": None}


def test_the_most_discussed_section_follows_the_header_and_keeps_every_limit() -> None:
    entries = [(n, long_story(n)) for n in range(1, 26)]
    talked = [(long_story(n), Engagement(reactions=30 - n, replies=1)) for n in range(1, 6)]
    messages = build_digest_messages("talk", entries, window_start=START, window_end=END, discussed=talked)
    section = messages[0].payload["embeds"][1]
    assert section["title"] == MOST_DISCUSSED_TITLE
    lines = [line for line in section["description"].split("\n") if line.startswith("👍")]
    assert lines == ["👍 29 reactions · 💬 1 reply", "👍 28 reactions · 💬 1 reply", "👍 27 reactions · 💬 1 reply"]
    assert len(lines) == MOST_DISCUSSED
    assert [sid for m in messages for sid in m.story_ids] == list(range(1, 26)), "every story still listed once"
    for message in messages:
        assert validate_message(message.payload) is None, json.dumps(message.payload)[:300]
    plain = build_digest_messages("talk", [(1, story(1))], window_start=START, window_end=END)
    assert all(e.get("title") != MOST_DISCUSSED_TITLE for e in plain[0].payload["embeds"])


async def test_a_discussed_digest_posts_the_discussed_story_first_with_the_section(store: Store) -> None:
    store.set_meta(MetaKey.INITIALIZED, str(time.time() - 3600))
    sink = RecordingSink()
    runner = DigestRunner(store, sink, retry_base=0.001)
    for n, quality in ((1, 90), (2, 20), (3, 60)):
        add(store, n, quality=quality)
    ids = {story.title: sid for sid, story in store.latest_published(None)}
    put_counts(store.engine, ids["Story number 2"], 777, reactions=7, replies=2)
    plain = runner.digests.save(GUILD, make_spec(name="plain", channel_id=CHANNEL, time="09:00"))
    talk = runner.digests.save(GUILD, make_spec(name="talk", channel_id=CHANNEL, time="09:00", rank="discussed"))
    assert (await runner.run(plain.id)).status == "sent"
    assert sink.titles() == ["Story number 1", "Story number 3", "Story number 2"], "default: quality and heat"
    assert all(e.get("title") != MOST_DISCUSSED_TITLE for e in sink.posts[-1][1]["embeds"])
    assert (await runner.run(talk.id)).status == "sent"
    embeds = sink.posts[-1][1]["embeds"]
    assert embeds[1]["title"] == MOST_DISCUSSED_TITLE and "Story number 2" in embeds[1]["description"]
    assert "👍 7 reactions · 💬 2 replies" in embeds[1]["description"]
    titles = [
        line.split("[", 1)[1].split("]", 1)[0]
        for e in embeds[2:]
        for line in e["description"].split("\n")
        if line.startswith("**")
    ]
    assert titles == ["Story number 2", "Story number 1", "Story number 3"], "discussed first, then as default"
