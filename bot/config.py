"""Typed settings from ``config/newsdesk.yaml``, validated at start-up with errors that name the key."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config_alerts import AlertsConfig as AlertsConfig
from bot.config_alerts import parse_alerts
from bot.config_discord import DEFAULT_API_BASE as DEFAULT_API_BASE
from bot.config_discord import DEFAULT_GATEWAY_URL as DEFAULT_GATEWAY_URL
from bot.config_discord import DiscordConfig, parse_discord
from bot.config_members import PersonalConfig, SignalsConfig, parse_personal, parse_signals
from bot.config_values import ConfigError, default_if_none, flag, known, list_of, mapping, number, snowflake, url
from bot.digest_spec import DigestSpec, specs_from_config
from bot.metrics_config import MetricsConfig, parse_metrics
from bot.options import OptionError
from bot.redact import mask_password, unescaped_at
from bot.routes.planning import BackfillMode, OnUnpublish
from bot.routes.route_rules import RULE_KEYS, RouteRules, parse_rules, parse_topic_colors
from bot.sharding import make_plan, parse_shard_ids
from bot.timezones import parse_timezone

DEFAULT_CONFIG_PATH = Path("config/newsdesk.yaml")
# The relative paths of a config file when it leaves them out: the sample's (config/newsdesk.yaml) own values,
# resolved against the file's folder like any written path: beside config/, the install's articles/ and data/.
FILE_DEFAULTS = {"articles.path": "../articles", "storage.url": "sqlite:///../data/newsdesk.db"}
STORAGE_URL_ENV = "NEWSDESK_STORAGE_URL"
_BACKFILL = re.compile(r"^(none|all|latest:(\d+))$")


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
    personal: PersonalConfig = field(default_factory=PersonalConfig)
    signals: SignalsConfig = field(default_factory=SignalsConfig)

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

    Relative paths in the file (``articles.path``, a ``sqlite:///`` file), and their defaults when left out
    (``FILE_DEFAULTS``), are resolved against the file's folder, so the bot behaves the same whatever folder it is
    started from (a systemd unit, cron).
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
    """Make the relative paths of the file relative to its folder, written or left out: a key left out means what
    the sample config writes (``FILE_DEFAULTS``), so deleting a line of it changes nothing, whatever folder the bot
    starts from. The environment's storage URL stays relative to the current folder, like any shell path."""
    articles, storage = raw.get("articles") or {}, raw.get("storage") or {}
    if articles.get("path") is None:  # left out, or present with no value: its default either way
        config = replace(config, articles=replace(config.articles, path=Path(FILE_DEFAULTS["articles.path"])))
    if storage.get("url") is None and not storage_from_env:
        config = replace(config, storage_url=FILE_DEFAULTS["storage.url"])
    if not config.articles.path.is_absolute():
        config = replace(config, articles=replace(config.articles, path=_normalise(base / config.articles.path)))
    prefix = "sqlite:///"
    if not storage_from_env and config.storage_url.startswith(prefix):
        database = config.storage_url[len(prefix) :]
        if database and database != ":memory:" and not Path(database).is_absolute():
            config = replace(config, storage_url=prefix + str(_normalise(base / database)))
    return config


def _normalise(path: Path) -> Path:
    """``config/../articles`` reads better in messages as ``articles``; no symlinks are followed."""
    return Path(os.path.normpath(path))


def _storage_url_parses(url: str, key: str) -> None:
    """A URL SQLAlchemy would misread (or fail on, quoting part of the password) is refused here, masked."""
    key = key or "storage.url"
    if unescaped_at(url):
        raise ConfigError(
            key,
            f"the password holds an unescaped '@' ({mask_password(url)!r}): write it as %40 (and '%' as %25), "
            "or the rest of the password is read as the host",
        )
    try:
        make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(
            key,
            f"not a database URL SQLAlchemy can read: {mask_password(url)!r} (is the port a number? an '@' in "
            "the password must be written %40)",
        ) from None


def parse_config(raw: Any, env: Mapping[str, str] | None = None) -> Config:
    env = {} if env is None else env
    root = mapping(raw, "(top level)")
    sections = "articles storage discord channels log_level digests scheduler alerts providers topic_colors metrics"
    sections += " personal signals"
    known(root, "", set(sections.split()))
    articles = mapping(root.get("articles") or {}, "articles")
    known(articles, "articles.", set(ArticlesConfig.__slots__))
    storage = mapping(root.get("storage") or {}, "storage")
    known(storage, "storage.", {"url", "heartbeat_seconds"})
    scheduler = mapping(root.get("scheduler") or {}, "scheduler")
    known(scheduler, "scheduler.", set(SchedulerConfig.__slots__))

    on_unpublish = default_if_none(articles.get("on_unpublish"), "delete").strip().lower()
    if on_unpublish not in tuple(OnUnpublish):
        raise ConfigError("articles.on_unpublish", f"expected delete or keep, got {on_unpublish!r}")
    on_unpublish = OnUnpublish(on_unpublish)
    # The environment wins, so a PostgreSQL password need not sit in the file.
    storage_url = env.get(STORAGE_URL_ENV) or str(default_if_none(storage.get("url"), "sqlite:///data/newsdesk.db"))
    if "://" not in storage_url:
        key = f"storage.url (env {STORAGE_URL_ENV})" if env.get(STORAGE_URL_ENV) else "storage.url"
        raise ConfigError(
            key,
            "expected a database URL like sqlite:///data/newsdesk.db or postgresql+psycopg://user:pass@host/db, "
            f"got {mask_password(storage_url)!r}",
        )
    _storage_url_parses(storage_url, f"storage.url (env {STORAGE_URL_ENV})" if env.get(STORAGE_URL_ENV) else "")
    try:
        timezone = parse_timezone(scheduler.get("timezone", "UTC"))
    except OptionError as exc:
        raise ConfigError("scheduler.timezone", exc.explain()) from None
    try:
        digests = specs_from_config(list_of(root.get("digests") or None, "digests"), timezone)
    except OptionError as exc:  # its option is the full key, e.g. digests[0].time
        raise ConfigError(exc.option, exc.explain()) from None
    log_level = str(root.get("log_level", "INFO")).upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("log_level", f"expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    return Config(
        articles=ArticlesConfig(
            path=Path(str(default_if_none(articles.get("path"), "articles"))),
            backfill=Backfill.parse(default_if_none(articles.get("backfill"), "none")),
            on_unpublish=on_unpublish,
            max_file_bytes=number(articles, "max_file_bytes", 1024 * 1024, "articles.", low=1024),
            rescan_seconds=number(articles, "rescan_seconds", 300.0, "articles.", low=1),
            debounce_ms=number(articles, "debounce_ms", 30, "articles.", low=1, high=5000),
            delete_grace=number(articles, "delete_grace", 5.0, "articles.", low=0, high=3600),
            embargo=flag(articles, "embargo", True, "articles."),
        ),
        storage_url=storage_url,
        heartbeat_seconds=number(storage, "heartbeat_seconds", 10.0, "storage.", low=1, high=3600),
        discord=parse_discord(root.get("discord"), env),
        channels=tuple(_route(item, i) for i, item in enumerate(list_of(root.get("channels"), "channels"))),
        log_level=log_level,
        alerts=parse_alerts(root.get("alerts")),
        scheduler=SchedulerConfig(
            timezone=timezone,
            digest_grace_seconds=number(scheduler, "digest_grace_seconds", 3600, "scheduler.", low=1),
        ),
        digests=digests,
        providers=_providers(root.get("providers")),
        topic_colors=_topic_colors(root.get("topic_colors")),
        metrics=_metrics(root.get("metrics")),
        personal=parse_personal(root.get("personal")),
        signals=parse_signals(root.get("signals")),
    )


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


def _route(item: Any, index: int) -> ChannelRoute:
    key = f"channels[{index}]"
    entry = mapping(item, key)
    known(
        entry, f"{key}.", {"id", "topics", "min_quality", "roles", "name", "guild", *KindOptions.__slots__, *RULE_KEYS}
    )
    if "id" not in entry:
        raise ConfigError(f"{key}.id", "missing: the Discord channel id to post to, e.g. id: 123456789012345678")
    topics_raw = entry.get("topics", "*")
    labels: tuple[str, ...] = ()
    if topics_raw == "*" or topics_raw is None:
        topics = None
    else:
        labels = tuple(dict.fromkeys(str(t).strip() for t in list_of(topics_raw, f"{key}.topics") if str(t).strip()))
        topics = frozenset(t.casefold() for t in labels)
        if not topics:
            raise ConfigError(f"{key}.topics", 'expected "*" or a list of topics, e.g. [AI, Security]')
    return ChannelRoute(
        channel_id=snowflake(entry["id"], f"{key}.id"),
        topics=topics,
        min_quality=number(entry, "min_quality", 0, f"{key}.", low=0, high=100),
        role_ids=tuple(
            snowflake(r, f"{key}.roles[{i}]") for i, r in enumerate(list_of(entry.get("roles"), f"{key}.roles"))
        ),
        name=str(entry.get("name", "")).strip(),
        # The channel's server, when known: saves the one-off lookup that decides which shard posts to it.
        guild_id=None if entry.get("guild") is None else snowflake(entry["guild"], f"{key}.guild"),
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
    for domain, item in mapping(raw or {}, "providers").items():
        key = f"providers.{domain}"
        style = mapping(item or {}, key)
        known(style, f"{key}.", {"avatar"})
        if "avatar" in style:
            avatar = str(style["avatar"] or "")
            url(avatar, f"{key}.avatar", ("https://", "http://"))
            avatars[str(domain).strip().lower()] = avatar
    return avatars


def _rules(entry: Mapping[str, Any], key: str) -> RouteRules:
    """The route rules (``bot.routes.route_rules``): words, providers, types, max_age, daily_cap, style, colour..."""
    try:
        return parse_rules(entry, f"{key}.")
    except OptionError as exc:
        raise ConfigError(exc.option, exc.explain()) from None
