"""Route rules: each rule keeps one story and stops another, with the reason; parsing and its error messages;
routing through the planner on a real SQLite ledger (caps, edits, per-route on_unpublish)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.config import ConfigError, parse_config
from bot.options import OptionError
from bot.routes.planning import make_planner
from bot.routes.route_rules import ORDER, RouteRules, RuleContext, Style, explain, parse_rules
from bot.routes.routing import RouteTable
from bot.store import Store
from bot.store.newsroom import StoredRoute
from bot.store.records import DeliveryState
from bot.stories.story import Provider, Story
from tests.storyfiles import parsed_file

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def story(**fields: Any) -> Story:
    values: dict[str, Any] = {
        "key": "k",
        "title": "Chips get faster",
        "excerpt": "A new design for AI accelerators.",
        "topics": ("AI",),
        "quality": 50,
        "heat": 10,
        "published": True,
        "published_at": NOW - timedelta(hours=1),
        "provider": Provider("Example News", "news.example"),
        "kind": "article",
        "category": "tech",
    }
    return Story(**(values | fields))


def route(**entry: Any) -> Any:
    return parse_config({"channels": [{"id": 1, **entry}]}, {}).channels[0]


def verdict(entry: dict[str, Any], s: Story, posts: int = 0) -> tuple[bool, str | None]:
    context = RuleContext(now=NOW, posts_since=lambda channel, since: posts)
    result = explain(s, route(**entry), context)
    return result.ok, result.reason


# -- each rule: one story kept, one stopped, and the explanation --------------------------------------------------

RULE_CASES = [
    ({"topics": ["AI"]}, story(), story(topics=("Sports",)), "topics (Sports) not in the route's topics"),
    ({"min_quality": 40}, story(quality=40), story(quality=35), "quality 35 < 40"),
    ({"include_words": ["AI", "chips"]}, story(), story(title="Rain", excerpt="Wet."), "none of the words: AI, chips"),
    ({"exclude_words": "crypto, nft"}, story(), story(excerpt="Crypto prices fall."), "excluded word: crypto"),
    ({"providers": ["news.example"]}, story(), story(provider=Provider("Other", "other.example")), "provider 'Other'"),
    ({"exclude_providers": ["Other"]}, story(), story(provider=Provider("Other", "o.example")), "excluded provider"),
    ({"types": ["article"]}, story(), story(kind="video"), "type 'video' not in types"),
    ({"categories": ["Tech"]}, story(), story(category="sports"), "category 'sports' not in categories"),
    ({"max_age": "48h"}, story(), story(published_at=NOW - timedelta(days=3)), "older than max_age 48h"),
    ({}, story(), story(published=False), "not published"),
]


@pytest.mark.parametrize(("entry", "kept", "stopped", "reason"), RULE_CASES)
def test_each_rule_keeps_one_story_and_stops_another(
    entry: dict[str, Any], kept: Story, stopped: Story, reason: str
) -> None:
    assert verdict(entry, kept) == (True, None)
    ok, why = verdict(entry, stopped)
    assert not ok and why is not None and why.startswith(reason)


def test_daily_cap_stops_once_reached() -> None:
    assert verdict({"daily_cap": 2}, story(), posts=1) == (True, None)
    assert verdict({"daily_cap": 2}, story(), posts=2) == (False, "daily cap 2 reached")


def test_words_are_whole_words_and_phrases_case_insensitive() -> None:
    entry = {"exclude_words": ["ai", "machine learning"]}
    assert verdict(entry, story(title="Said and done", excerpt="Plain."))[0]  # "ai" inside "Said" is no word
    assert not verdict(entry, story(title="Deep MACHINE\n  learning", excerpt=""))[0]
    assert verdict({"providers": ["ews.example"]}, story(provider=Provider("X", "news.example")))[0] is False
    assert verdict({"providers": ["example news"]}, story())[0]  # by name, case-insensitive
    assert verdict({"providers": ["news.example"]}, story(provider=Provider("X", "www.news.example")))[0]


def test_the_first_rule_in_order_is_the_reason() -> None:
    entry = {"min_quality": 40, "exclude_words": ["crypto"], "max_age": "1h"}
    old_bad = story(quality=10, excerpt="crypto", published_at=NOW - timedelta(days=9))
    assert verdict(entry, old_bad) == (False, "quality 10 < 40")
    assert verdict(entry, story(excerpt="crypto", published_at=NOW - timedelta(days=9)))[1] == "excluded word: crypto"
    assert ORDER.index("min_quality") < ORDER.index("exclude_words") < ORDER.index("max_age")


def test_edits_ignore_max_age_and_caps() -> None:
    old = story(published_at=NOW - timedelta(days=9))
    context = RuleContext(now=NOW, posts_since=lambda c, s: 99)
    assert not explain(old, route(max_age="1d", daily_cap=1), context).ok
    assert explain(old, route(max_age="1d", daily_cap=1), context, admitting=False).ok


# -- parsing -----------------------------------------------------------------------------------------------------


def test_rules_parse_from_config_and_text_alike() -> None:
    from_yaml = route(exclude_words=["Crypto", "NFT"], max_age="7d", daily_cap=20, style="compact", color="#5865F2")
    from_text = parse_rules({"exclude_words": "Crypto, NFT", "max_age": "7d", "daily_cap": "20", "style": "Compact"})
    assert from_yaml.rules.exclude_words == from_text.exclude_words == ("Crypto", "NFT")
    assert from_yaml.rules.max_age == from_text.max_age == 7 * 86400
    assert from_text.daily_cap == 20 and from_text.style is Style.COMPACT and from_yaml.rules.color == 0x5865F2
    assert parse_config({"topic_colors": {"AI": "#5865f2"}}, {}).topic_colors == {"ai": 0x5865F2}
    assert RouteRules().describe() == []
    assert "daily_cap 20" in from_yaml.rules.describe() and "max_age 7d" in from_yaml.rules.describe()


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ({"max_age": "forever"}, "channels[0].max_age", "expected a number and a unit"),
        ({"style": "huge"}, "channels[0].style", "unknown style 'huge'; expected full, compact or link"),
        ({"daily_cap": 0}, "channels[0].daily_cap", "expected a number between 1 and 1000, got 0"),
        ({"daily_cap": "many"}, "channels[0].daily_cap", "expected a whole number"),
        ({"color": "blue"}, "channels[0].color", "expected a colour as #rrggbb"),
        ({"ping_min_heat": 101}, "channels[0].ping_min_heat", "between 0 and 100"),
        ({"on_unpublish": "shred"}, "channels[0].on_unpublish", "expected delete or keep"),
        ({"timezone": "Mars/Base"}, "channels[0].timezone", "unknown time zone"),
        ({"exclude_words": {"a": 1}}, "channels[0].exclude_words", "expected a list"),
    ],
)
def test_bad_rules_name_the_key(entry: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        route(**entry)
    assert caught.value.key == key and message in str(caught.value)


def test_bad_topic_colors_name_the_topic() -> None:
    with pytest.raises(ConfigError, match=r"topic_colors.AI.*#rrggbb"):
        parse_config({"topic_colors": {"AI": "purple"}}, {})


def test_option_errors_name_the_slash_option() -> None:
    with pytest.raises(OptionError, match="`daily_cap`: expected a number between 1 and 1000, got 0"):
        parse_rules({"daily_cap": 0})


# -- routing through the planner, on a real ledger ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'rules.db'}")
    yield s
    s.close()


def table(*entries: dict[str, Any], on_unpublish: str = "delete") -> RouteTable:
    config = parse_config({"channels": list(entries)}, {})
    return RouteTable(config.channels)


def states(store: Store, key_n: int) -> dict[int, str]:
    return {c: s for c, (s, _) in store.ledger.states(f"https://news.example/2026/story-{key_n}").items()}


def apply(store: Store, routes: RouteTable, *items: Any, on_unpublish: str = "delete") -> None:
    store.apply(list(items), make_planner(routes, announce=True, on_unpublish=on_unpublish))


def recent(n: int, **fields: Any) -> Any:
    """A story published just now, so max_age never interferes."""
    return parsed_file(f"{n}.md", n, publishedDateTime=datetime.now(UTC).isoformat(), **fields)


def test_daily_cap_counts_todays_posts_and_records_the_rest_as_capped(store: Store) -> None:
    routes = table({"id": 1, "daily_cap": 2}, {"id": 2})
    apply(store, routes, recent(1), recent(2), recent(3))  # one batch: the cap counts the batch's own posts
    apply(store, routes, recent(4))
    assert [states(store, n).get(1) for n in (1, 2, 3, 4)] == ["post", "post", "capped", "capped"]
    assert all(states(store, n)[2] == "post" for n in (1, 2, 3, 4))
    assert store.counts()["capped"] == 2
    with store.engine.begin() as conn:  # yesterday's posts don't count against today's cap
        conn.execute(text("UPDATE deliveries SET planned_at = planned_at - 86400 * 2"))
    apply(store, routes, recent(5))
    assert states(store, 5)[1] == "post"


def test_old_story_dropped_in_late_stays_quiet(store: Store) -> None:
    routes = table({"id": 1, "max_age": "48h"}, {"id": 2})
    apply(store, routes, parsed_file("old.md", 7, publishedDateTime="2020-01-01T00:00:00Z"))
    assert states(store, 7) == {2: "post"}


def test_routing_follows_edits(store: Store) -> None:
    routes = table({"id": 1, "topics": ["AI"]}, {"id": 2, "topics": ["Space"], "on_unpublish": "keep"})
    apply(store, routes, recent(1, topics=["AI"]))
    assert states(store, 1) == {1: "post"}
    _settle_all(store)
    apply(store, routes, recent(1, topics=["Space"], title="Now about space"))
    assert states(store, 1) == {1: "delete", 2: "post"}  # channel 1 no longer matches: its route deletes
    _settle_all(store)
    apply(store, routes, recent(1, topics=["AI"], title="Back to AI"))
    assert states(store, 1) == {1: "post", 2: "sent"}  # channel 2's route keeps its message (on_unpublish: keep)


def test_edit_of_a_still_matching_story_is_an_edit_even_when_old(store: Store) -> None:
    routes = table({"id": 1, "max_age": "1h"})
    apply(store, routes, recent(1))
    _settle_all(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE stories SET published_at = 0"))
    apply(store, routes, parsed_file("1.md", 1, publishedDateTime="2020-01-01T00:00:00Z", title="Fixed typo"))
    assert states(store, 1) == {1: "edit"}


def test_per_route_on_unpublish_overrides_the_default(store: Store) -> None:
    routes = table({"id": 1, "on_unpublish": "keep"}, {"id": 2})
    apply(store, routes, recent(1))
    _settle_all(store)
    apply(store, routes, recent(1, published=False))
    assert states(store, 1) == {1: "sent", 2: "delete"}


def test_stored_routes_keep_their_rules_and_old_databases_gain_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(f"sqlite:///{path}")
    with store.engine.begin() as conn:  # a database from before route rules: no rules, no planned_at
        conn.execute(text("ALTER TABLE feed_routes DROP COLUMN rules"))
        conn.execute(text("DROP INDEX ix_deliveries_channel_planned"))
        conn.execute(text("ALTER TABLE deliveries DROP COLUMN planned_at"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))  # the revision before route rules
    store.close()
    store = Store.open(f"sqlite:///{path}")
    try:
        newsroom = store.newsroom
        newsroom.upsert_route(StoredRoute(5, 9, ("AI",), 0, {"exclude_words": "crypto", "style": "link"}), None)
        routes = RouteTable(())
        routes.load(newsroom)
        (stored,) = routes.routes
        assert stored.rules.exclude_words == ("crypto",) and stored.rules.style is Style.LINK
        assert routes.look_for(5, story()) == (Style.LINK, 0x2B6CB0)
    finally:
        store.close()


def test_ping_min_heat_and_colours() -> None:
    config = parse_config(
        {"channels": [{"id": 1, "roles": [77], "ping_min_heat": 60}], "topic_colors": {"AI": "#5865f2"}}, {}
    )
    routes = RouteTable(config.channels, topic_colors=config.topic_colors)
    assert routes.roles_for(1, story(heat=60), None) == [77]
    assert routes.roles_for(1, story(heat=59), None) == []
    assert routes.look_for(1, story()) == (Style.FULL, 0x5865F2)


def _settle_all(store: Store) -> None:
    """What the send queues would do: every pending post becomes sent, every pending delete deleted."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE deliveries SET state = 'sent', message_id = 1 WHERE state IN ('post', 'edit')"))
        conn.execute(text("UPDATE deliveries SET state = 'deleted', message_id = NULL WHERE state = 'delete'"))
    assert DeliveryState.SENT == "sent"


# -- what admins see: /feed list, /feed explain, newsdesk explain, and how posts look -----------------------------


def test_feed_list_shows_every_rule_and_explain_names_the_rule() -> None:
    from bot.render.feed_replies import describe_route, explain_embed

    capped = route(topics=["AI"], exclude_words=["crypto"], max_age="48h", daily_cap=20, style="compact")
    assert describe_route(capped) == (
        "<#1> ← AI; exclude_words crypto; max_age 48h; daily_cap 20; style compact *(config file)*"
    )
    context = RuleContext(now=NOW)
    verdicts = [(capped, explain(story(excerpt="crypto"), capped, context)), (route(), TAKEN_VERDICT)]
    embed = explain_embed("Chips get faster", verdicts)
    assert embed["description"] == "❌ <#1>: excluded word: crypto\n✅ <#1>: posted there"


TAKEN_VERDICT = explain(story(), route(), RuleContext(now=NOW))


def test_newsdesk_explain_prints_each_config_route(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    config = tmp_path / "newsdesk.yaml"
    config.write_text(
        "storage: {url: sqlite:///db/n.db}\n"
        "channels:\n  - {id: 1, name: news}\n  - {id: 2, name: calm, exclude_words: [crypto], max_age: 48h}\n",
        encoding="utf-8",
    )
    story_file = tmp_path / "s.md"
    story_file.write_text(
        "---\ntitle: Crypto winter\npublishedDateTime: 2026-11-24T08:15:00Z\npublished: true\n---\n", encoding="utf-8"
    )
    assert main(["--config", str(config), "explain", str(story_file)]) == 0
    out = capsys.readouterr().out
    assert "channels[0] (news, channel 1): posted" in out
    assert "channels[1] (calm, channel 2): not posted: excluded word: crypto" in out
    assert not (tmp_path / "db").exists()  # explaining never creates a database
    assert main(["--config", str(config), "explain", str(tmp_path / "missing.md")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_styles_shape_the_message() -> None:
    from bot.render.embeds import build_story_message

    s = story(web_url="https://news.example/a", images=())
    compact = build_story_message(s, style="compact", color=0x5865F2)["embeds"][0]
    assert compact["color"] == 0x5865F2 and "description" not in compact and "fields" not in compact
    assert compact["url"] == "https://news.example/a" and compact["author"]["name"] == "Example News"
    link = build_story_message(s, style="link", role_ids=[5])
    assert link["embeds"] == [] and link["content"] == "<@&5> Chips get faster — https://news.example/a"
    assert link["allowed_mentions"]["roles"] == ["5"]
    with pytest.raises(ValueError, match="style"):
        build_story_message(s, style="huge")


def test_explain_finds_stories_by_title(store: Store) -> None:
    routes = table({"id": 1})
    apply(store, routes, recent(1, title="Chips get faster"), recent(2, title="Rain in Spain", published=False))
    newsroom = store.newsroom
    assert [t for _i, t in newsroom.story_titles("rain")] == ["Rain in Spain"]
    assert {t for _i, t in newsroom.story_titles("")} == {"Chips get faster", "Rain in Spain"}
    rain = newsroom.find_story("Rain in Spain")
    assert rain is not None
    story_id, found = rain
    again = newsroom.find_story(str(story_id))
    assert again is not None and again[1] == found and not found.published
    assert newsroom.find_story("100% nothing_") is None


def test_stories_over_the_cap_go_to_the_channels_digest(store: Store) -> None:
    from bot.digest.spec import make_spec

    routes = table({"id": 1, "daily_cap": 1})
    apply(store, routes, recent(1, topics=["AI"]), recent(2, topics=["Sports"], quality=10))
    assert states(store, 2) == {1: "capped"}
    digests = store.digests
    spec = make_spec(name="ai", channel_id=1, time="09:00", topics="AI", min_quality=40)
    row = digests.save(9, spec)
    found = {c.story_id for c in digests.candidates(row.id, spec, since=0, baseline=None)}
    other = make_spec(name="elsewhere", channel_id=3, time="09:00", topics="AI", min_quality=40)
    elsewhere = {c.story_id for c in digests.candidates(digests.save(9, other).id, other, since=0, baseline=None)}
    assert len(found) == 2 and len(elsewhere) == 1  # the capped Sports story only in its own channel's digest
