"""bot/app.py wires each service once: the pieces share one store and one channel→guild directory."""

from __future__ import annotations

from pathlib import Path

from bot.app import open_core, sync_bot
from bot.config import parse_config
from bot.store.newsroom import StoredRoute


def config_in(tmp_path: Path) -> dict[str, object]:
    (tmp_path / "articles").mkdir()
    return {
        "articles": {"path": str(tmp_path / "articles")},
        "storage": {"url": f"sqlite:///{tmp_path / 'n.db'}"},
        "channels": [{"id": 7, "guild": 700}, {"id": 8}],
    }


async def test_the_core_shares_one_store_and_one_guild_directory_that_learns_new_routes(tmp_path: Path) -> None:
    core = await open_core(parse_config(config_in(tmp_path)), discord=False)
    try:
        assert core.pipeline.store is core.store and core.pipeline.guilds is core.guilds
        assert core.membership.member_id and core.locks is None and core.bucket is None
        assert not core.store.announces_plans, "SQLite: one process, nobody to tell"
        assert [core.guilds.guild_of(c) for c in (7, 8, 9)] == [700, None, None]
        # A route added from Discord (/feed add) names its server: known to every part once routes reload.
        await core.store.run_concurrent(core.store.newsroom.upsert_route, StoredRoute(9, 900, None, 0), None)
        await core.pipeline.reload_routes()
        assert core.guilds.guild_of(9) == 900 and core.pipeline.owns_channel(9)
    finally:
        core.store.close()


async def test_the_sync_bot_has_the_commands_and_no_feed(tmp_path: Path) -> None:
    core = await open_core(parse_config(config_in(tmp_path)), discord=False)
    try:
        bot = sync_bot(core.config, core.store)
        assert bot.feed is None and bot.pipeline is None and bot.scheduler is None
        await bot.close()
    finally:
        core.store.close()
