"""Which roles may be bound to a topic and handed out with /subscribe (issue 20.1)."""

from __future__ import annotations

from bot.role_rules import RoleFacts, permission_names, role_problem

KICK, MANAGE_MESSAGES, ADMINISTRATOR, MANAGE_ROLES = 1 << 1, 1 << 13, 1 << 3, 1 << 28


def plain(position: int = 1, **changes: object) -> RoleFacts:
    facts = {"permissions": 0, "managed": False, "everyone": False, "position": position, **changes}
    return RoleFacts(**facts)  # type: ignore[arg-type]


def test_a_plain_role_below_the_bot_and_the_invoker_may_be_bound() -> None:
    assert role_problem(plain(1), bot_top=2, invoker_top=3) is None
    assert role_problem(plain(1), bot_top=2) is None  # nobody binding it now: config, /subscribe


def test_a_role_granting_any_permission_is_refused_naming_the_permissions() -> None:
    problem = role_problem(plain(1, permissions=KICK | MANAGE_MESSAGES), bot_top=5, invoker_top=5)
    assert problem == "grants permissions (Kick Members, Manage Messages)"
    # The most dangerous are named first, and a long list is cut with a count.
    names = permission_names(ADMINISTRATOR | KICK | MANAGE_ROLES | (1 << 10))
    assert names[:2] == ["Administrator", "Manage Roles"] and "View Channels" in names
    long = role_problem(plain(1, permissions=(1 << 12) - 1), bot_top=5)
    assert long is not None and long.startswith("grants permissions (Administrator, Manage Server, Ban Members")
    assert long.endswith("and 7 more)")
    assert permission_names(1 << 60) == ["permission bit 60"]


def test_managed_and_everyone_roles_are_refused() -> None:
    assert role_problem(plain(1, managed=True), bot_top=5) == "is managed by a bot or an integration"
    assert role_problem(plain(0, everyone=True), bot_top=5) == "is @everyone"


def test_a_role_must_sit_below_the_bots_highest_role() -> None:
    assert role_problem(plain(3), bot_top=2) == "is not below the bot's highest role"
    # Level with it is not below: Discord breaks the tie by id, so refuse rather than guess.
    assert role_problem(plain(2), bot_top=2) == "is not below the bot's highest role"


def test_the_invoker_must_outrank_the_role_unless_they_own_the_server() -> None:
    assert role_problem(plain(2), bot_top=5, invoker_top=2) == "is not below your highest role"
    assert role_problem(plain(2), bot_top=5, invoker_top=0) == "is not below your highest role"
    assert role_problem(plain(2), bot_top=5, invoker_top=0, invoker_owns=True) is None
    # Owning the server does not lift the bot's own limit, nor the permission rule.
    assert role_problem(plain(6), bot_top=5, invoker_top=0, invoker_owns=True) == "is not below the bot's highest role"
    assert role_problem(plain(1, permissions=KICK), bot_top=5, invoker_owns=True, invoker_top=0) is not None
