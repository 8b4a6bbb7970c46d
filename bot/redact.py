"""Secrets kept out of what is printed and logged: a database URL's password, tokens in URLs, the bot token."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

HIDDEN = "***"
# The last resort when a URL can't be parsed unambiguously: everything from ``user:`` to the LAST ``@`` is hidden.
# Greedy on purpose: an unescaped ``@`` in a password would otherwise leave its tail in clear; hiding a little
# more than the password (an ``@`` in the query) is the safe way to be wrong.
_USERINFO = re.compile(r"^((?:[A-Za-z][\w+.-]*://)?[^:/@\s]*:).*@", re.DOTALL)
# A URL inside free text (a log line, an error message): scheme://, then up to whitespace or a closing quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][\w+.-]*://[^\s'\"<>]+")
# libpq's keyword form, as psycopg may echo it: password=secret or password='a secret'.
_KEYWORD_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_password(url: str) -> str:
    """``url`` fit to print or log: ``postgresql+psycopg://bot:s3cret@db/news`` -> ``...//bot:***@db/news``.

    Parsed as SQLAlchemy parses it, so a password holding ``/``, ``:``, ``?`` or ``%``-escapes is hidden whole; a
    URL without a password (or text that is no URL) comes back unchanged."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # any text at all may come here; unparsable is not an error
        return _USERINFO.sub(rf"\1{HIDDEN}@", url)
    if parsed.password is None:
        return url
    if unescaped_at(url):
        # SQLAlchemy ends the password at its first '@', pushing its tail into the host or the database name.
        return _USERINFO.sub(rf"\1{HIDDEN}@", url)
    return parsed.render_as_string(hide_password=True)


def unescaped_at(url: str) -> bool:
    """Whether ``url``'s password holds an unescaped ``@``: SQLAlchemy would read its tail as the host (and try
    to connect there), so such a URL is refused at start rather than half-shown in a connection error."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not a URL at all: another check says so
        return False
    return parsed.password is not None and any(
        "@" in part for part in (parsed.host or "", parsed.database or "", str(parsed.port or ""))
    )


def password_of(url: str) -> str:
    """The password in ``url`` ('' when none), for :class:`SecretFilter` to hide wherever it shows up."""
    try:
        return make_url(url).password or ""
    except (ArgumentError, ValueError):  # not a URL: no password to know of
        return ""


def mask_passwords_in(text: str) -> str:
    """Every URL password (and libpq ``password=...``) in free text masked, e.g. in an error from a library."""
    text = _URL_IN_TEXT.sub(lambda m: mask_password(m.group(0)), text)
    return _KEYWORD_PASSWORD.sub(rf"\1{HIDDEN}", text)


# A webhook's or an interaction's token sits in its URL path; discord.py logs request URLs at DEBUG level.
_URL_TOKEN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[\w.-]{20,}")


def mask_url_tokens(text: str) -> str:
    """``…/webhooks/123/AbC…`` -> ``…/webhooks/123/***``: webhook and interaction tokens never reach a log."""
    return _URL_TOKEN.sub(r"\1***", text)


class SecretFilter(logging.Filter):
    """Rewrites a record that would show a secret: the bot token (if given), webhook and interaction tokens,
    database passwords in URLs.

    Installed on the log handlers, so it covers every library's records (discord.py logs URLs at DEBUG)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            # The traceback is text too (a driver's error may quote the URL); format it once, masked below.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = mask_passwords_in(mask_url_tokens(message))
        exc_text = mask_passwords_in(mask_url_tokens(record.exc_text)) if record.exc_text else record.exc_text
        for secret in self._secrets:
            clean = clean.replace(secret, HIDDEN)
            exc_text = exc_text.replace(secret, HIDDEN) if exc_text else exc_text
        if clean != message:
            record.msg, record.args = clean, None
        record.exc_text = exc_text
        return True
