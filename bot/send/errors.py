"""The one error a send raises: what went wrong, and whether trying again can help."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send that did not go through.

    ``retryable`` errors (5xx, time-outs, connection trouble) are tried again with backoff; the others settle
    the delivery as failed. ``gone`` means the message or channel no longer exists.
    """

    def __init__(
        self, reason: str, *, retryable: bool, status: int | None = None, gone: bool = False, code: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.gone = gone
        self.code = code  # Discord's JSON error code (e.g. 160004: the message already has a thread)
