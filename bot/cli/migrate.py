"""``newsdesk migrate``: bring the database's schema to this release, saying from which revision to which."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Config
from bot.redact import mask_password
from bot.store import migrate as migrations
from bot.store.errors import StorageError
from bot.store.store import Store


def migrate(config: Config) -> int:
    store = Store.open(config.storage_url, upgrade=False)
    try:
        with store.engine.connect() as conn:
            before = migrations.current(conn)
        try:
            result = migrations.upgrade(store.engine, announce=False)  # said below, once
        except migrations.MigrationError as exc:
            raise StorageError(config.storage_url, mask_password(config.storage_url), str(exc)) from None
        except SQLAlchemyError as exc:
            path, reason = store.backend.describe_failure(store.engine.url, exc)
            raise StorageError(config.storage_url, path, reason) from exc
    finally:
        store.close()
    where = mask_password(config.storage_url)
    if result.adopted:
        print(f"{where}: a database from before migrations, adopted and now at revision {result.after}")
    elif before == result.after:
        print(f"{where}: already at revision {result.after} (the newest); nothing to do")
    else:
        print(f"{where}: migrated from revision {before or '(empty database)'} to {result.after}")
    return 0
