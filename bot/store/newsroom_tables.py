"""Tables for running the newsroom from Discord: routes, topic pings, alert settings and throttling."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Integer, PrimaryKeyConstraint, String, Table, Text

from bot.store.schema import metadata

# Routes added with /feed add; config routes are not stored (the config file stays their source of truth).
feed_routes = Table(
    "feed_routes",
    metadata,
    Column("channel_id", BigInteger, primary_key=True),
    Column("guild_id", BigInteger, nullable=False, index=True),
    Column("topics", Text, nullable=False),  # JSON list of topics, or "*"
    Column("min_quality", Integer, nullable=False, default=0),
    # Route rules as given to /feed add (JSON object of option -> text, parsed by bot.routes.route_rules); NULL = none.
    Column("rules", Text, nullable=True),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", Float, nullable=False),
)

# When each config route began (routes added with /feed add begin at their ``created_at``): stories already live
# then are the route's archive, posted only by a backfill.
route_starts = Table(
    "route_starts",
    metadata,
    Column("channel_id", BigInteger, primary_key=True),
    Column("began_at", Float, nullable=False),
)

topic_roles = Table(
    "topic_roles",
    metadata,
    Column("guild_id", BigInteger, nullable=False),
    Column("norm", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("role_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("guild_id", "norm"),
)

guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True),
    Column("alerts_channel_id", BigInteger, nullable=True),
)

# When each problem was last reported, so an alert goes out at most once per problem per hour, across restarts.
alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("key", String, primary_key=True),
    Column("sent_at", Float, nullable=False),
    Column("suppressed", Integer, nullable=False, default=0),
)
