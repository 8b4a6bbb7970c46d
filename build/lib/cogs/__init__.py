"""discord.py extensions: thin glue between Discord and the core in ``bot``. Each module has ``setup(bot)``."""
