"""Alembic's environment: the caller (``bot.store.migrate``) hands in an open connection; nothing is read from files."""

from alembic import context

connection = context.config.attributes["connection"]
# Batch mode rebuilds a table where SQLite cannot ALTER it; PostgreSQL alters in place.
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
