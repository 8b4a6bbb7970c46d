"""Secrets kept out of what is printed and logged: a database URL's password."""

from __future__ import annotations

import re

# user:password@ after the scheme (or at the start, for a URL typed without one).
_PASSWORD = re.compile(r"^((?:[\w+.-]+://)?[^:/@]*:)[^@/]*@")


def mask_password(url: str) -> str:
    """``url`` fit to print or log: ``postgresql+psycopg://bot:s3cret@db/news`` -> ``...//bot:***@db/news``."""
    return _PASSWORD.sub(r"\1***@", url)
