"""The ``metrics:`` section of the config file: where ``GET /healthz`` and ``GET /metrics`` are served (off by
default). Apart from ``bot/config.py`` so that file stays one readable page."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.options import OptionError

DEFAULT_HOST = "127.0.0.1"  # loopback: exposing the endpoints to a network is a choice made in the config


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    port: int | None = None  # None: no metrics server
    host: str = DEFAULT_HOST

    @property
    def enabled(self) -> bool:
        return self.port is not None


def parse_metrics(raw: Any) -> MetricsConfig:
    """``metrics: {port: 9464, host: 0.0.0.0}``; a missing section or ``port: null`` means off."""
    if raw is None:
        return MetricsConfig()
    if not isinstance(raw, Mapping):
        raise OptionError("metrics", f"expected a mapping of keys (port, host), got {type(raw).__name__}")
    for name in raw:
        if name not in ("port", "host"):
            raise OptionError(f"metrics.{name}", "unknown key; expected one of host, port")
    port = raw.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        raise OptionError(
            "metrics.port", f"expected a TCP port between 1 and 65535 (or null: off), got {port!r}", "9464"
        )
    host = raw.get("host")
    host = DEFAULT_HOST if host is None else str(host).strip()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise OptionError(
                "metrics.host", f"expected an IP address to listen on, got {host!r}", "127.0.0.1"
            ) from None
    return MetricsConfig(port=port, host=host)
