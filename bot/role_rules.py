"""Which roles Newsdesk may hand out: the rule behind ``/feed ping``, ``/subscribe`` and the roles in the config.

Members get a topic's role from the bot with ``/subscribe``, so a role bound to a topic must give them nothing
but the mention: no permissions at all, not a bot's or an integration's role (Discord manages those), not
@everyone, and below the bot's highest role (Discord refuses the change otherwise). Whoever binds it must also
outrank it, as Discord requires for giving a role by hand, unless they own the server. Free of Discord: the cogs
hand in the role's facts.
"""

from __future__ import annotations

from dataclasses import dataclass

# Discord's permission bits, as its client names them (https://discord.com/developers/docs/topics/permissions).
PERMISSION_NAMES: dict[int, str] = {
    0: "Create Invite",
    1: "Kick Members",
    2: "Ban Members",
    3: "Administrator",
    4: "Manage Channels",
    5: "Manage Server",
    6: "Add Reactions",
    7: "View Audit Log",
    8: "Priority Speaker",
    9: "Video",
    10: "View Channels",
    11: "Send Messages",
    12: "Send Text-to-Speech Messages",
    13: "Manage Messages",
    14: "Embed Links",
    15: "Attach Files",
    16: "Read Message History",
    17: "Mention @everyone, @here and All Roles",
    18: "Use External Emoji",
    19: "View Server Insights",
    20: "Connect",
    21: "Speak",
    22: "Mute Members",
    23: "Deafen Members",
    24: "Move Members",
    25: "Use Voice Activity",
    26: "Change Nickname",
    27: "Manage Nicknames",
    28: "Manage Roles",
    29: "Manage Webhooks",
    30: "Manage Expressions",
    31: "Use Application Commands",
    32: "Request to Speak",
    33: "Manage Events",
    34: "Manage Threads",
    35: "Create Public Threads",
    36: "Create Private Threads",
    37: "Use External Stickers",
    38: "Send Messages in Threads",
    39: "Use Activities",
    40: "Timeout Members",
    41: "View Creator Monetization Analytics",
    42: "Use Soundboard",
    43: "Create Expressions",
    44: "Create Events",
    45: "Use External Sounds",
    46: "Send Voice Messages",
    49: "Create Polls",
    50: "Use External Apps",
    51: "Pin Messages",
    52: "Bypass Slowmode",
}
# The most dangerous first, so a truncated list still names them.
_FIRST = (3, 5, 28, 2, 1, 40, 4, 13, 29, 27, 22, 23, 24, 17, 34, 30, 33, 7)
_NAMES_SHOWN = 5


def permission_names(bits: int) -> list[str]:
    """The names of the permissions set in ``bits``, the most dangerous first."""
    set_bits = [bit for bit in range(max(bits, 0).bit_length()) if bits >> bit & 1]
    order = [b for b in _FIRST if b in set_bits] + [b for b in set_bits if b not in _FIRST]
    return [PERMISSION_NAMES.get(bit, f"permission bit {bit}") for bit in order]


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What the rule needs to know about a role (positions: Discord's role order, @everyone at 0)."""

    permissions: int
    managed: bool
    everyone: bool
    position: int


def role_problem(
    role: RoleFacts, *, bot_top: int, invoker_top: int | None = None, invoker_owns: bool = False
) -> str | None:
    """Why the role may not be handed out (a phrase that follows "role X"), or None when it may.

    ``bot_top``: the position of the bot's highest role. ``invoker_top``: that of the member binding it (None when
    nobody binds it now: the config file, or a member subscribing to a role an admin bound). A role level with
    another is not below it: Discord breaks such ties by id, and refusing is the safe side.
    """
    if role.everyone:
        return "is @everyone"
    if role.managed:
        return "is managed by a bot or an integration"
    if role.permissions:
        names = permission_names(role.permissions)
        more = f", and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
        return f"grants permissions ({', '.join(names[:_NAMES_SHOWN])}{more})"
    if role.position >= bot_top:
        return "is not below the bot's highest role"
    if invoker_top is not None and not invoker_owns and role.position >= invoker_top:
        return "is not below your highest role"
    return None
