"""Scheduled digests: per-channel summaries of the stories published since the digest's previous run.

What an admin declares (``bot.digest_spec``, with its ``bot.digest_schedule``) lives below this package, so
the configuration can parse the ``digests:`` section without importing the feature. ``ranking`` and ``render``
(what gets posted) are pure; ``runner`` ties them to the store and a sink; ``jobs`` is the bridge to APScheduler.
"""
