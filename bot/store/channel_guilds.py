"""Channel → guild SQL (``channel_guilds``): what the shard ownership of a channel is decided from."""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import select

from bot.store.database import Part
from bot.store.schema import channel_guilds


class ChannelGuildStore(Part):
    """Async callers run these methods through ``store.run_concurrent``."""

    def all(self) -> dict[int, int]:
        with self.db.connect() as conn:
            return {r.channel_id: r.guild_id for r in conn.execute(select(channel_guilds))}

    def remember(self, guilds: Mapping[int, int], now: float | None = None) -> None:
        """Store (or correct) channels' guilds; a channel moved to another guild keeps only the newest."""
        if not guilds:
            return
        now = time.time() if now is None else now
        stmt = self.backend.insert(channel_guilds)
        upsert = stmt.on_conflict_do_update(
            index_elements=["channel_id"], set_={"guild_id": stmt.excluded.guild_id, "checked_at": now}
        )
        with self.db.begin() as conn:
            conn.execute(upsert, [{"channel_id": c, "guild_id": g, "checked_at": now} for c, g in guilds.items()])
