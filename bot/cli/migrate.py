"""``newsdesk migrate``: bring the database's schema to this release, saying from which revision to which."""

from __future__ import annotations

from bot.config import Config
from bot.redact import mask_password
from bot.store.store import Store


def migrate(config: Config) -> int:
    store = Store.open(config.storage_url, upgrade=False)
    try:
        before, result = store.upgrade(config.storage_url)
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
