"""Abbreviated lists ("a, b, c, …and 4 more"): one wording wherever a list is cut short."""

from __future__ import annotations

from collections.abc import Iterable


def more_text(hidden: int) -> str:
    """The tail that stands for ``hidden`` items left out: ``…and 4 more``."""
    return f"…and {hidden} more"


def abbreviate(items: Iterable[str], n: int, *, total: int | None = None) -> list[str]:
    """The first ``n`` items, then a ``…and M more`` item when there were more.

    ``total`` is the full count when ``items`` is only a prefix (a query with a limit); by default it is the
    number of items given.
    """
    listed = list(items)
    shown = listed[: max(n, 0)]
    hidden = (len(listed) if total is None else max(total, len(listed))) - len(shown)
    return [*shown, more_text(hidden)] if hidden > 0 else shown


def summarize_list(items: Iterable[str], n: int, *, total: int | None = None, sep: str = ", ") -> str:
    """:func:`abbreviate`, joined: ``a.md, b.md, …and 3 more``."""
    return sep.join(abbreviate(items, n, total=total))
