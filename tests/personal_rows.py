"""Rows of the personal tables written straight into a database, for tests of the DM engine (the follows
commands write them in the product; their own tests cover that)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select

from bot.store.personal_tables import dm_deliveries, follows, member_settings, personal_guilds


def follow_row(
    user_id: int,
    value: str,
    *,
    kind: str = "topic",
    mode: str = "instant",
    guild_id: int | None = None,
    created_at: float | None = None,
) -> dict[str, Any]:
    norm = " ".join(value.split()).casefold()
    return {
        "user_id": user_id,
        "kind": kind,
        "norm": norm,
        "value": value,
        "mode": mode,
        "guild_id": guild_id,
        "created_at": time.time() - 60 if created_at is None else created_at,
    }


def settings_row(user_id: int, **values: Any) -> dict[str, Any]:
    now = time.time()
    blank = {c.name: None for c in member_settings.columns}  # one shape for every row of an executemany
    return {**blank, "user_id": user_id, "paused": False, "created_at": now - 60, "updated_at": now - 60, **values}


@contextlib.contextmanager
def _engine(target: str | Engine) -> Iterator[Engine]:
    """An engine for ``target``: a URL (a bot's SQLite file) or a store's own engine (left open)."""
    if isinstance(target, Engine):
        yield target
        return
    engine = create_engine(target)
    try:
        yield engine
    finally:
        engine.dispose()


def insert_rows(
    url: str | Engine,
    *,
    follow: Sequence[dict[str, Any]] = (),
    settings: Sequence[dict[str, Any]] = (),
    guilds: dict[int, bool] | None = None,
) -> None:
    """Insert into the database at ``url`` (migrated already: open a Store on it first)."""
    with _engine(url) as engine, engine.begin() as conn:
        if follow:
            conn.execute(insert(follows), list(follow))
        if settings:
            conn.execute(insert(member_settings), list(settings))
        for guild_id, enabled in (guilds or {}).items():
            conn.execute(insert(personal_guilds).values(guild_id=guild_id, enabled=enabled, changed_at=time.time()))


def dm_rows(url: str | Engine) -> list[dict[str, Any]]:
    with _engine(url) as engine, engine.connect() as conn:
        rows = conn.execute(select(dm_deliveries).order_by(dm_deliveries.c.story_id, dm_deliveries.c.user_id))
        return [dict(r._mapping) for r in rows]


def settings_of(url: str | Engine, user_id: int) -> dict[str, Any] | None:
    with _engine(url) as engine, engine.connect() as conn:
        r = conn.execute(select(member_settings).where(member_settings.c.user_id == user_id)).first()
        return None if r is None else dict(r._mapping)
