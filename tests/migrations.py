"""Setting a test database back to an older schema revision, to test the migrations that follow it."""

from __future__ import annotations

from bot.store import Store, migrate


def downgrade(store: Store, revision: str) -> None:
    """Run Alembic's downgrades on ``store``'s database down to ``revision``, rows kept."""
    from alembic import command

    cfg = migrate._config()
    with store.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        with conn.begin():
            command.downgrade(cfg, revision)
