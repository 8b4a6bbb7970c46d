"""Every key of the meta table, in one place. A key is a contract between the process that writes it and the
ones that read it (``newsdesk status`` reads what the running bot wrote), and between releases: the values are
stored in existing databases and never change."""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class MetaKey(StrEnum):
    # The first index of the folder is done: the pipeline posts only what changes after it, and a digest's first
    # run counts stories from it.
    INITIALIZED = "initialized_at"
    ROUTES_BEGUN = "route_starts_kept"  # config routes' start times are kept (migration 0011)
    STARTED = "started_at"  # when the running process started its feed
    LAST_SCAN = "last_scan"  # JSON: the last full scan's report
    HEARTBEAT = "heartbeat"  # JSON: the running process's last beat and its interval
    STOPPED = "stopped_at"  # when the process last stopped cleanly
    WAITING_CHANNELS = "waiting_channels"  # JSON {channel id: why its deliveries wait}
