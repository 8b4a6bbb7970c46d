"""Checked values for the config file: each helper raises ``ConfigError`` naming the key and a good value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ConfigError(ValueError):
    """A bad configuration. ``str()`` names the key and what a good value looks like."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(f"config key '{key}': {reason}")


def default_if_none(value: Any, default: str) -> str:
    """A key present with no value (``backfill:``) means its default."""
    return default if value is None else str(value)


def mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected a mapping of keys, got {type(value).__name__}")
    return value


def list_of(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise ConfigError(key, f"expected a list, got {type(value).__name__}")


def known(mapping: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for name in mapping:
        if name not in allowed:
            raise ConfigError(f"{prefix}{name}", f"unknown key; expected one of {', '.join(sorted(allowed))}")


def number(
    mapping: Mapping[str, Any], name: str, default: int | float, prefix: str, low: int, high: int | None = None
) -> Any:
    """A number within bounds; whole-number settings (``default`` an int) come back as int, others as float."""
    value = mapping.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(prefix + name, f"expected a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(prefix + name, f"expected a number {bounds}, got {value}")
    return float(value) if isinstance(default, float) else int(value)


def flag(mapping: Mapping[str, Any], name: str, default: bool, prefix: str) -> bool:
    """A true/false setting; a key present with no value means its default, anything but a bool is an error."""
    value = mapping.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(prefix + name, f"expected true or false, got {value!r}")
    return value


def snowflake(value: Any, key: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number <= 0 or isinstance(value, bool):
        raise ConfigError(key, f"expected a Discord id (a positive number), got {value!r}")
    return number


def url(value: str, key: str, schemes: tuple[str, ...]) -> None:
    scheme = next((s for s in schemes if value.startswith(s)), None)
    if scheme is None or len(value) <= len(scheme):
        raise ConfigError(key, f"expected a URL starting with {' or '.join(schemes)}, got {value!r}")
