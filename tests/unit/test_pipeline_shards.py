"""A sharded process sends only to its shards' guilds' channels; the rest stays pending in the ledger."""

from __future__ import annotations

from pathlib import Path

from bot.cli.run import guild_directory
from bot.config import parse_config
from bot.pipeline import Pipeline
from bot.sharding import GuildDirectory, make_plan
from bot.store import Store
from bot.store.newsroom import StoredRoute
from tests.storyfiles import write_story
from tests.unit.test_pipeline import RecordingSink

GUILD_ON_0 = 100000000000000001 & ~(1 << 22)
GUILD_ON_1 = 100000000000000001 | (1 << 22)
HOME, AWAY, UNKNOWN = 11, 22, 33


async def run_once(tmp_path: Path, shard_ids: list[int]) -> tuple[RecordingSink, Store]:
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    write_story(folder, "a.md", 1, title="For everyone")
    config = parse_config(
        {
            "articles": {"path": str(folder), "backfill": "all"},
            "channels": [{"id": HOME, "topics": "*"}, {"id": AWAY, "topics": "*"}, {"id": UNKNOWN, "topics": "*"}],
        }
    )
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    guilds = GuildDirectory({HOME: GUILD_ON_0, AWAY: GUILD_ON_1})
    pipeline = Pipeline(config, store, shards=make_plan(2, shard_ids), guilds=guilds, retry_base=0.001)
    sink = RecordingSink()
    await pipeline.start(sink, watch=False)
    await pipeline.drain()
    await pipeline.stop()
    return sink, store


def states(store: Store) -> dict[int, str]:
    with store.engine.connect() as conn:
        key = conn.exec_driver_sql("SELECT key FROM stories").scalar_one()
    return {channel: state for channel, (state, _) in store.ledger.states(key).items()}


async def test_shard_0_sends_to_its_guild_and_to_channels_of_unknown_guild(tmp_path: Path) -> None:
    sink, store = await run_once(tmp_path, [0])
    try:
        assert sorted(c for _, c, _ in sink.calls) == [HOME, UNKNOWN]
        assert states(store) == {HOME: "sent", UNKNOWN: "sent", AWAY: "post"}, "shard 1's row waits for it"
    finally:
        store.close()


async def test_shard_1_sends_only_to_its_guild(tmp_path: Path) -> None:
    sink, store = await run_once(tmp_path, [1])
    try:
        assert [c for _, c, _ in sink.calls] == [AWAY]
        assert states(store) == {HOME: "post", UNKNOWN: "post", AWAY: "sent"}
    finally:
        store.close()


def test_the_directory_is_filled_from_config_routes_and_the_table(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        store.channel_guilds.remember({5: 500})
        store.newsroom.upsert_route(StoredRoute(6, 600, None, 0), None)
        config = parse_config({"channels": [{"id": 7, "guild": 700}, {"id": 8}]})
        guilds = guild_directory(config, store)
        assert [guilds.guild_of(c) for c in (5, 6, 7, 8)] == [500, 600, 700, None]
        assert store.channel_guilds.all() == {5: 500, 6: 600, 7: 700}, "kept for the next start"
    finally:
        store.close()
