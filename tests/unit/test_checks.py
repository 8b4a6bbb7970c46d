"""The run-time permission checks the cogs share: admin autocompletes (issue 20.3) and binding roles (20.1).

discord.py hands these an ``Interaction`` whose ``permissions`` are the member's, as Discord sent them; a stand-in
with real ``discord.Permissions`` is all they read.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord

from cogs._checks import admin_may_complete, can_manage_roles


def interaction(**permissions: bool) -> Any:
    return SimpleNamespace(permissions=discord.Permissions(**permissions), user=SimpleNamespace(id=7), command=None)


def test_admin_autocomplete_answers_only_manage_server_or_administrator() -> None:
    assert admin_may_complete(interaction(manage_guild=True))
    assert admin_may_complete(interaction(administrator=True))
    assert not admin_may_complete(interaction(send_messages=True, manage_messages=True, manage_roles=True))
    assert not admin_may_complete(interaction())


def test_binding_a_role_needs_manage_roles_or_administrator() -> None:
    assert can_manage_roles(interaction(manage_roles=True))
    assert can_manage_roles(interaction(administrator=True))
    assert not can_manage_roles(interaction(manage_guild=True))
