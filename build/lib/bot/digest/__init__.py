"""Scheduled digests: per-channel summaries of the stories published since the digest's previous run.

``schedule`` (when), ``spec`` (what an admin declared), ``ranking`` and ``render`` (what gets posted) are
pure; ``runner`` ties them to the store and a sink; ``jobs`` is the bridge to APScheduler.
"""
