"""Pictures of the ledger: the 24-hour status chart and the weekly report, from the database only.

``data`` holds the numbers (plain dataclasses the store's ``chart_data`` part fills), ``draw`` turns them into a
PNG with matplotlib (imported only when a chart is drawn), ``build`` ties the two for the bot and the CLI.
"""
