"""The ``newsdesk`` console script's entry point, free of imports on purpose.

The first index parses story files in worker processes started with multiprocessing's ``spawn``, and each worker
re-imports the script that started the bot (``newsdesk``: ``from bot.launch import main``). Pointing the script at
``bot.cli`` made every parse worker import the whole bot (SQLAlchemy, discord.py, APScheduler…): ~44 MB before
parsing a single file, against ~18 MB for the parser alone.
"""

from __future__ import annotations


def main() -> int:
    from bot.cli import main as run_cli

    return run_cli()
