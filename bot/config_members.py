"""The ``personal:`` and ``signals:`` sections of the config file: what members may follow for themselves, and how
long the community's signal (reaction and reply counts) is kept. Apart from ``bot/config.py`` so that file stays
one readable page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config_values import flag, known, mapping, number


@dataclass(frozen=True, slots=True)
class PersonalConfig:
    # Members may follow topics, providers and words and get them in their DMs (a server's admins can still turn
    # it off for their server with /newsdesk personal).
    enabled: bool = True
    max_follows_per_member: int = 25
    default_daily_cap: int = 20  # instant DMs per member per day before the rest waits for the digest
    keep_days: int = 30  # a settled DM's ledger row is deleted this long after it was sent (or given up)


@dataclass(frozen=True, slots=True)
class SignalsConfig:
    keep_days: int = 30  # reaction, reply and share counts of a story are kept this long after its last change


def parse_personal(raw: Any) -> PersonalConfig:
    section = mapping(raw or {}, "personal")
    known(section, "personal.", set(PersonalConfig.__slots__))
    return PersonalConfig(
        enabled=flag(section, "enabled", True, "personal."),
        max_follows_per_member=number(section, "max_follows_per_member", 25, "personal.", low=1, high=100),
        default_daily_cap=number(section, "default_daily_cap", 20, "personal.", low=1, high=500),
        keep_days=number(section, "keep_days", 30, "personal.", low=1, high=3650),
    )


def parse_signals(raw: Any) -> SignalsConfig:
    section = mapping(raw or {}, "signals")
    known(section, "signals.", set(SignalsConfig.__slots__))
    return SignalsConfig(keep_days=number(section, "keep_days", 30, "signals.", low=1, high=3650))
