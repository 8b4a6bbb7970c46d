"""Typed settings from ``config/newsdesk.yaml``, validated at start-up with errors that name the key."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.digest.spec import DigestSpec, specs_from_config
from bot.metrics_config import MetricsConfig, parse_metrics
from bot.options import OptionError
from bot.redact import mask_password
from bot.routes.planning import BackfillMode, OnUnpublish
from bot.routes.route_rules import RULE_KEYS, RouteRules, parse_rules, parse_topic_colors
from bot.sharding import ShardError, ShardPlan, make_plan, parse_shard_ids
from bot.timezones import parse_timezone

DEFAULT_CONFIG_PATH = Path("config/newsdesk.yaml")
STORAGE_URL_ENV = "NEWSDESK_STORAGE_URL"
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
_BACKFILL = re.compile(r"^(none|all|latest:(\d+))$")


class ConfigError(ValueError):
    """A bad configuration. ``str()`` names the key and what a good value looks like."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(f"config key '{key}': {reason}")


@dataclass(frozen=True, slots=True)
class Backfill:
    """Which already-published stories the very first run posts: none, the newest N, or all."""

    mode: BackfillMode = BackfillMode.NONE
    count: int = 0

    @classmethod
    def parse(cls, text: str) -> Backfill:
        match = _BACKFILL.match(str(text).strip().lower())
        if not match:
            raise ConfigError("articles.backfill", f"expected none, all or latest:N, got {text!r}")
        if match.group(2):
            return cls(BackfillMode.LATEST, int(match.group(2)))
        return cls(BackfillMode(match.group(1)))


ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)  # minutes: the only values Discord accepts


@dataclass(frozen=True, slots=True)
class KindOptions:
    """How a route posts, besides where: crosspost, a discussion thread, provider identity, forum tags."""

    publish: bool = False  # announcement channels: crosspost to following servers
    thread: bool = False  # text/announcement channels: a discussion thread under each story
    auto_archive_duration: int = 1440
    webhook: bool = False  # post through the channel's Newsdesk webhook, as the story's provider
    create_tags: bool = False  # forums: create missing topic tags (needs Manage Channels)


@dataclass(frozen=True, slots=True)
class ChannelRoute:
    """Stories with one of ``topics`` (None = every topic) and at least ``min_quality`` go to ``channel_id``."""

    channel_id: int
    topics: frozenset[str] | None = None
    min_quality: int = 0
    role_ids: tuple[int, ...] = ()
    name: str = ""
    guild_id: int | None = None
    source: str = "config"  # or "discord": added with /feed add
    labels: tuple[str, ...] = field(default=(), compare=False)  # the topics as written, for display only
    kinds: KindOptions = field(default_factory=KindOptions)
    rules: RouteRules = field(default_factory=RouteRules)  # words, providers, max_age, daily_cap, style...

    def matches(self, topics: tuple[str, ...], quality: int | None) -> bool:
        """Topics and quality only; the full check, with the rules, is ``bot.routes.route_rules.explain``."""
        if (quality or 0) < self.min_quality:
            return False
        return self.topics is None or any(t.casefold() in self.topics for t in topics)


@dataclass(frozen=True, slots=True)
class ArticlesConfig:
    path: Path = Path("articles")
    backfill: Backfill = field(default_factory=Backfill)
    on_unpublish: OnUnpublish = OnUnpublish.DELETE
    max_file_bytes: int = 1024 * 1024
    rescan_seconds: float = 300.0
    debounce_ms: int = 30
    # A file gone for less than this is a flicker (git checkout, a sync tool's replace), not a retraction.
    delete_grace: float = 5.0
    # A published story dated in the future is held until then (False: posted at once, as before).
    embargo: bool = True


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    api_base: str = DEFAULT_API_BASE
    gateway_url: str = DEFAULT_GATEWAY_URL
    sync_guilds: tuple[int, ...] = ()
    request_timeout: float = 30.0
    channel_recheck_seconds: float = 300.0  # how often a channel the bot can't post to is checked again
    shard_count: int | None = None  # None: one unsharded process serving every guild
    shard_ids: tuple[int, ...] | None = None  # None with a count: all of its shards in this process

    @property
    def shards(self) -> ShardPlan:
        """The checked shard plan (``parse_config`` and ``with_shards`` validated it already)."""
        return make_plan(self.shard_count, self.shard_ids)


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    channel: int | None = None  # where alerts go, besides channels set with /newsdesk alerts
    every_seconds: float = 3600.0  # the same problem is reported at most this often


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    timezone: str = "UTC"  # for digests that name none
    digest_grace_seconds: int = 3600  # a run missed while the bot was down is still posted if at most this late


@dataclass(frozen=True, slots=True)
class Config:
    articles: ArticlesConfig = field(default_factory=ArticlesConfig)
    storage_url: str = "sqlite:///data/newsdesk.db"
    heartbeat_seconds: float = 10.0  # `newsdesk status` says stopped after three missed heartbeats
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    channels: tuple[ChannelRoute, ...] = ()
    log_level: str = "INFO"
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    digests: tuple[DigestSpec, ...] = ()
    providers: Mapping[str, str] = field(default_factory=dict)  # provider domain → avatar URL for webhook posts
    topic_colors: Mapping[str, int] = field(default_factory=dict)  # casefolded topic -> embed colour
    metrics: MetricsConfig = field(default_factory=MetricsConfig)

    def routes_for(self, topics: tuple[str, ...], quality: int | None) -> list[ChannelRoute]:
        return [route for route in self.channels if route.matches(topics, quality)]


class ConfigFileError(ConfigError):
    """The config file itself is unusable (missing, unreadable, not YAML, not a mapping): the message names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        self.key = "--config"
        self.path = path
        ValueError.__init__(self, f"config file {path} (--config): {reason}")


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file; ``DISCORD_API_BASE``/``DISCORD_GATEWAY_URL``/``NEWSDESK_STORAGE_URL``
    override it.

    Relative paths written in the file (``articles.path``, a ``sqlite:///`` file) are resolved against the file's
    folder, so the bot behaves the same whatever folder it is started from (a systemd unit, cron).
    """
    env = os.environ if env is None else env
    path = path or DEFAULT_CONFIG_PATH
    shown = path.absolute()  # a relative default tried from another folder must say where it looked
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigFileError(shown, "not found; pass --config PATH or start from the folder that holds it") from None
    except IsADirectoryError:
        raise ConfigFileError(shown, "is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigFileError(shown, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigFileError(shown, f"cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(shown, f"not valid YAML: {' '.join(str(exc).split())}") from None
    if raw is None:  # an empty file or only comments: every default
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigFileError(shown, f"expected a mapping of keys at the top level, got {type(raw).__name__}")
    return _resolve_paths(parse_config(raw, env), raw, shown.parent, storage_from_env=bool(env.get(STORAGE_URL_ENV)))


def _resolve_paths(config: Config, raw: Mapping[str, Any], base: Path, *, storage_from_env: bool = False) -> Config:
    """Make the relative paths written in the file relative to its folder; defaults (and the environment's
    storage URL, relative to the current folder like any shell path) stay as they are."""
    articles, storage = raw.get("articles") or {}, raw.get("storage") or {}
    if "path" in articles and not config.articles.path.is_absolute():
        config = replace(config, articles=replace(config.articles, path=_normalise(base / config.articles.path)))
    prefix = "sqlite:///"
    if "url" in storage and not storage_from_env and config.storage_url.startswith(prefix):
        database = config.storage_url[len(prefix) :]
        if database and database != ":memory:" and not Path(database).is_absolute():
            config = replace(config, storage_url=prefix + str(_normalise(base / database)))
    return config


def _normalise(path: Path) -> Path:
    """``config/../articles`` reads better in messages as ``articles``; no symlinks are followed."""
    return Path(os.path.normpath(path))


def parse_config(raw: Any, env: Mapping[str, str] | None = None) -> Config:
    env = {} if env is None else env
    root = _mapping(raw, "(top level)")
    sections = "articles storage discord channels log_level digests scheduler alerts providers topic_colors metrics"
    _known(root, "", set(sections.split()))
    articles = _mapping(root.get("articles") or {}, "articles")
    _known(articles, "articles.", set(ArticlesConfig.__slots__))
    storage = _mapping(root.get("storage") or {}, "storage")
    _known(storage, "storage.", {"url", "heartbeat_seconds"})
    discord = _mapping(root.get("discord") or {}, "discord")
    _known(discord, "discord.", set(DiscordConfig.__slots__))
    scheduler = _mapping(root.get("scheduler") or {}, "scheduler")
    _known(scheduler, "scheduler.", set(SchedulerConfig.__slots__))

    on_unpublish = _default_if_none(articles.get("on_unpublish"), "delete").strip().lower()
    if on_unpublish not in tuple(OnUnpublish):
        raise ConfigError("articles.on_unpublish", f"expected delete or keep, got {on_unpublish!r}")
    on_unpublish = OnUnpublish(on_unpublish)
    api_base = env.get("DISCORD_API_BASE") or str(discord.get("api_base", DEFAULT_API_BASE))
    gateway_url = env.get("DISCORD_GATEWAY_URL") or str(discord.get("gateway_url", DEFAULT_GATEWAY_URL))
    api_key = "discord.api_base (env DISCORD_API_BASE)" if env.get("DISCORD_API_BASE") else "discord.api_base"
    gateway_key = (
        "discord.gateway_url (env DISCORD_GATEWAY_URL)" if env.get("DISCORD_GATEWAY_URL") else "discord.gateway_url"
    )
    _url(api_base, api_key, ("http://", "https://"))
    _url(gateway_url, gateway_key, ("ws://", "wss://"))
    # The environment wins, so a PostgreSQL password need not sit in the file.
    storage_url = env.get(STORAGE_URL_ENV) or str(storage.get("url", "sqlite:///data/newsdesk.db"))
    if "://" not in storage_url:
        key = f"storage.url (env {STORAGE_URL_ENV})" if env.get(STORAGE_URL_ENV) else "storage.url"
        raise ConfigError(
            key,
            "expected a database URL like sqlite:///data/newsdesk.db or postgresql+psycopg://user:pass@host/db, "
            f"got {mask_password(storage_url)!r}",
        )
    try:
        timezone = parse_timezone(scheduler.get("timezone", "UTC"))
    except OptionError as exc:
        raise ConfigError("scheduler.timezone", exc.explain()) from None
    try:
        digests = specs_from_config(_list(root.get("digests") or None, "digests"), timezone)
    except OptionError as exc:  # its option is the full key, e.g. digests[0].time
        raise ConfigError(exc.option, exc.explain()) from None
    log_level = str(root.get("log_level", "INFO")).upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("log_level", f"expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    return Config(
        articles=ArticlesConfig(
            path=Path(str(articles.get("path", "articles"))),
            backfill=Backfill.parse(_default_if_none(articles.get("backfill"), "none")),
            on_unpublish=on_unpublish,
            max_file_bytes=_number(articles, "max_file_bytes", 1024 * 1024, "articles.", low=1024),
            rescan_seconds=_number(articles, "rescan_seconds", 300.0, "articles.", low=1),
            debounce_ms=_number(articles, "debounce_ms", 30, "articles.", low=1, high=5000),
            delete_grace=_number(articles, "delete_grace", 5.0, "articles.", low=0, high=3600),
            embargo=_flag(articles, "embargo", True, "articles."),
        ),
        storage_url=storage_url,
        heartbeat_seconds=_number(storage, "heartbeat_seconds", 10.0, "storage.", low=1, high=3600),
        discord=DiscordConfig(
            api_base=api_base.rstrip("/"),
            gateway_url=gateway_url,
            sync_guilds=tuple(
                _snowflake(g, f"discord.sync_guilds[{i}]")
                for i, g in enumerate(_list(discord.get("sync_guilds"), "discord.sync_guilds"))
            ),
            request_timeout=_number(discord, "request_timeout", 30.0, "discord.", low=1, high=600),
            channel_recheck_seconds=_number(discord, "channel_recheck_seconds", 300.0, "discord.", low=1),
            **_shards(discord),
        ),
        channels=tuple(_route(item, i) for i, item in enumerate(_list(root.get("channels"), "channels"))),
        log_level=log_level,
        alerts=_alerts(root.get("alerts")),
        scheduler=SchedulerConfig(
            timezone=timezone,
            digest_grace_seconds=_number(scheduler, "digest_grace_seconds", 3600, "scheduler.", low=1),
        ),
        digests=digests,
        providers=_providers(root.get("providers")),
        topic_colors=_topic_colors(root.get("topic_colors")),
        metrics=_metrics(root.get("metrics")),
    )


def _shards(discord: Mapping[str, Any]) -> dict[str, Any]:
    count = discord.get("shard_count")
    raw_ids = discord.get("shard_ids")
    if isinstance(raw_ids, str | int) and not isinstance(raw_ids, bool):
        try:
            ids: tuple[int, ...] | None = parse_shard_ids(str(raw_ids), "discord.shard_ids")
        except ShardError as exc:
            raise ConfigError(exc.option, exc.reason) from None
    elif raw_ids is None:
        ids = None
    else:
        ids = tuple(_list(raw_ids, "discord.shard_ids"))
    try:
        plan = make_plan(count, ids)
    except ShardError as exc:
        raise ConfigError(exc.option, exc.reason) from None
    if not plan.sharded:
        return {}
    return {"shard_count": plan.shard_count, "shard_ids": plan.shard_ids}


def with_shards(config: Config, shard_count: int | None, shard_ids: str | None) -> Config:
    """``newsdesk run --shard-count N --shard-ids 0,2``: the flags override ``discord.shard_count/shard_ids``.

    ``--shard-count`` alone means all of its shards; ``--shard-ids`` alone takes the count from the file. An
    error names the flag, or the key when the offending value came from the file (``ShardError``)."""
    if shard_count is None and shard_ids is None:
        return config
    ids = parse_shard_ids(shard_ids) if shard_ids is not None else None
    if ids is None and shard_count is None:
        ids = config.discord.shard_ids
    from_file = shard_count is None and config.discord.shard_count is not None
    count = config.discord.shard_count if shard_count is None else shard_count
    plan = make_plan(
        count,
        ids,
        count_option="discord.shard_count" if from_file else "--shard-count",
        ids_option="--shard-ids" if shard_ids is not None else "discord.shard_ids",
    )
    return replace(config, discord=replace(config.discord, shard_count=plan.shard_count, shard_ids=plan.shard_ids))


def _metrics(raw: Any) -> MetricsConfig:
    try:
        return parse_metrics(raw)
    except OptionError as exc:
        raise ConfigError(exc.option, exc.explain()) from None


def _topic_colors(raw: Any) -> dict[str, int]:
    try:
        return parse_topic_colors(raw)
    except OptionError as exc:
        raise ConfigError(exc.option, exc.explain()) from None


def _alerts(raw: Any) -> AlertsConfig:
    alerts = _mapping(raw or {}, "alerts")
    _known(alerts, "alerts.", {"channel", "every_seconds"})
    channel = alerts.get("channel")
    return AlertsConfig(
        channel=None if channel is None else _snowflake(channel, "alerts.channel"),
        every_seconds=_number(alerts, "every_seconds", 3600.0, "alerts.", low=1),
    )


def _route(item: Any, index: int) -> ChannelRoute:
    key = f"channels[{index}]"
    entry = _mapping(item, key)
    _known(
        entry, f"{key}.", {"id", "topics", "min_quality", "roles", "name", "guild", *KindOptions.__slots__, *RULE_KEYS}
    )
    if "id" not in entry:
        raise ConfigError(f"{key}.id", "missing: the Discord channel id to post to, e.g. id: 123456789012345678")
    topics_raw = entry.get("topics", "*")
    labels: tuple[str, ...] = ()
    if topics_raw == "*" or topics_raw is None:
        topics = None
    else:
        labels = tuple(dict.fromkeys(str(t).strip() for t in _list(topics_raw, f"{key}.topics") if str(t).strip()))
        topics = frozenset(t.casefold() for t in labels)
        if not topics:
            raise ConfigError(f"{key}.topics", 'expected "*" or a list of topics, e.g. [AI, Security]')
    return ChannelRoute(
        channel_id=_snowflake(entry["id"], f"{key}.id"),
        topics=topics,
        min_quality=_number(entry, "min_quality", 0, f"{key}.", low=0, high=100),
        role_ids=tuple(
            _snowflake(r, f"{key}.roles[{i}]") for i, r in enumerate(_list(entry.get("roles"), f"{key}.roles"))
        ),
        name=str(entry.get("name", "")).strip(),
        # The channel's server, when known: saves the one-off lookup that decides which shard posts to it.
        guild_id=None if entry.get("guild") is None else _snowflake(entry["guild"], f"{key}.guild"),
        labels=labels,
        kinds=_kind_options(entry, key),
        rules=_rules(entry, key),
    )


def _kind_options(entry: Mapping[str, Any], key: str) -> KindOptions:
    flags = {}
    for name in ("publish", "thread", "webhook", "create_tags"):
        value = entry.get(name, False)
        if not isinstance(value, bool):
            raise ConfigError(f"{key}.{name}", f"expected true or false, got {value!r}")
        flags[name] = value
    duration = entry.get("auto_archive_duration", 1440)
    if isinstance(duration, bool) or duration not in ARCHIVE_DURATIONS:
        choices = ", ".join(map(str, ARCHIVE_DURATIONS))
        raise ConfigError(f"{key}.auto_archive_duration", f"expected minutes, one of {choices}; got {duration!r}")
    return KindOptions(auto_archive_duration=int(duration), **flags)


def _providers(raw: Any) -> dict[str, str]:
    """``providers: {domain: {avatar: URL}}``: the avatar a webhook post shows for that provider."""
    avatars: dict[str, str] = {}
    for domain, item in _mapping(raw or {}, "providers").items():
        key = f"providers.{domain}"
        style = _mapping(item or {}, key)
        _known(style, f"{key}.", {"avatar"})
        if "avatar" in style:
            avatar = str(style["avatar"] or "")
            _url(avatar, f"{key}.avatar", ("https://", "http://"))
            avatars[str(domain).strip().lower()] = avatar
    return avatars


def _rules(entry: Mapping[str, Any], key: str) -> RouteRules:
    """The route rules (``bot.routes.route_rules``): words, providers, types, max_age, daily_cap, style, colour..."""
    try:
        return parse_rules(entry, f"{key}.")
    except OptionError as exc:
        raise ConfigError(exc.option, exc.explain()) from None


def _default_if_none(value: Any, default: str) -> str:
    """A key present with no value (``backfill:``) means its default."""
    return default if value is None else str(value)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected a mapping of keys, got {type(value).__name__}")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise ConfigError(key, f"expected a list, got {type(value).__name__}")


def _known(mapping: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for name in mapping:
        if name not in allowed:
            raise ConfigError(f"{prefix}{name}", f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _number(
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


def _flag(mapping: Mapping[str, Any], name: str, default: bool, prefix: str) -> bool:
    """A true/false setting; a key present with no value means its default, anything but a bool is an error."""
    value = mapping.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(prefix + name, f"expected true or false, got {value!r}")
    return value


def _snowflake(value: Any, key: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number <= 0 or isinstance(value, bool):
        raise ConfigError(key, f"expected a Discord id (a positive number), got {value!r}")
    return number


def _url(value: str, key: str, schemes: tuple[str, ...]) -> None:
    scheme = next((s for s in schemes if value.startswith(s)), None)
    if scheme is None or len(value) <= len(scheme):
        raise ConfigError(key, f"expected a URL starting with {' or '.join(schemes)}, got {value!r}")
