"""Secrets kept out of what is printed and logged: a database URL's password, tokens in URLs, the bot token."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# user:password@ after the scheme (or at the start, for a URL typed without one).
_PASSWORD = re.compile(r"^((?:[\w+.-]+://)?[^:/@]*:)[^@/]*@")


def mask_password(url: str) -> str:
    """``url`` fit to print or log: ``postgresql+psycopg://bot:s3cret@db/news`` -> ``...//bot:***@db/news``."""
    return _PASSWORD.sub(r"\1***@", url)


# A webhook's or an interaction's token sits in its URL path; discord.py logs request URLs at DEBUG level.
_URL_TOKEN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[\w.-]{20,}")


def mask_url_tokens(text: str) -> str:
    """``…/webhooks/123/AbC…`` -> ``…/webhooks/123/***``: webhook and interaction tokens never reach a log."""
    return _URL_TOKEN.sub(r"\1***", text)


class SecretFilter(logging.Filter):
    """Rewrites a record that would show a secret: the bot token (if given), webhook and interaction tokens.

    Installed on the log handlers, so it covers every library's records (discord.py logs URLs at DEBUG)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = mask_url_tokens(message)
        for secret in self._secrets:
            clean = clean.replace(secret, "***")
        if clean != message:
            record.msg, record.args = clean, None
        return True
