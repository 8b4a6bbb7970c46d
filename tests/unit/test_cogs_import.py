"""Every cog extension imports and has an async ``setup``, so a broken extension fails here, not only end to end."""

from __future__ import annotations

import importlib
import inspect

import pytest

from bot.newsbot import extension_names


def test_extensions_are_discovered() -> None:
    names = extension_names()
    assert names == sorted(names)
    assert {"cogs.digest", "cogs.feed", "cogs.news", "cogs.newsdesk", "cogs.posting", "cogs.subscriptions"} <= set(
        names
    )
    assert not [n for n in names if n.rsplit(".", 1)[-1].startswith("_")], "private helpers are not extensions"


@pytest.mark.parametrize("name", extension_names())
def test_extension_imports_and_has_an_async_setup(name: str) -> None:
    module = importlib.import_module(name)
    setup = getattr(module, "setup", None)
    assert setup is not None, f"{name} has no setup(bot)"
    assert inspect.iscoroutinefunction(setup), f"{name}.setup must be async"
    teardown = getattr(module, "teardown", None)
    assert teardown is None or inspect.iscoroutinefunction(teardown), f"{name}.teardown must be async"
