"""The ``alerts`` section: where problems (and, if asked, the weekly report) go besides /newsdesk alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config_values import ConfigError, flag, known, mapping, number, snowflake


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    channel: int | None = None  # where alerts go, besides channels set with /newsdesk alerts
    every_seconds: float = 3600.0  # the same problem is reported at most this often
    weekly_report: bool = False  # the deployment's week to ``channel`` every Monday 09:00 (scheduler.timezone)


def parse_alerts(raw: Any) -> AlertsConfig:
    alerts = mapping(raw or {}, "alerts")
    known(alerts, "alerts.", {"channel", "every_seconds", "weekly_report"})
    channel = alerts.get("channel")
    weekly = flag(alerts, "weekly_report", False, "alerts.")
    if weekly and channel is None:
        raise ConfigError("alerts.weekly_report", "needs alerts.channel, the channel the report goes to")
    return AlertsConfig(
        channel=None if channel is None else snowflake(channel, "alerts.channel"),
        every_seconds=number(alerts, "every_seconds", 3600.0, "alerts.", low=1),
        weekly_report=weekly,
    )
