"""Alembic migrations for both backends; run through ``bot.store.migrate``, never through an alembic.ini."""
