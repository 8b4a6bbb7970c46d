"""The community's signal: reactions, replies and shares counted per posted story and channel (``store.signals`` on
both backends), duplicate gateway events after a RESUME ignored, Discord's own counts set after a gap, old counts
pruned."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update

from bot.routes.planning import make_planner
from bot.send.errors import DeliveryError
from bot.send.kinds.payloads import ChannelInfo, ChannelKind
from bot.signal.counter import DISCORD_EPOCH_MS, PARK_SECONDS, SignalCounter
from bot.signal.reconcile import Reconciler, reaction_counts
from bot.store import DeliveryState, Store
from bot.store.schema import deliveries
from bot.store.signals import PostedStory, SignalDelta
from tests.storyfiles import parsed_file

BOT = 999
MEMBER, OTHER = 501, 502
CHANNEL, FORUM = 7, 8
# Story 1 is a message in CHANNEL with a discussion thread; story 2 a forum post in FORUM (message id = thread id).
MESSAGE, THREAD, POST = 1001, 1002, 2001


def posted(store: Store) -> tuple[PostedStory, PostedStory]:
    planner = make_planner(
        lambda s: [CHANNEL] if s.title.endswith("1") else [FORUM], announce=True, on_unpublish="delete"
    )
    store.apply([parsed_file("s1.md", 1), parsed_file("s2.md", 2)], planner)
    now = time.time()
    with store.engine.begin() as conn:
        for story_id, channel, message, thread in ((1, CHANNEL, MESSAGE, THREAD), (2, FORUM, POST, POST)):
            conn.execute(
                update(deliveries)
                .where(deliveries.c.story_id == story_id)
                .values(state=DeliveryState.SENT, channel_id=channel, message_id=message, thread_id=thread, sent_at=now)
            )
    return PostedStory(1, CHANNEL, MESSAGE, THREAD), PostedStory(2, FORUM, POST, POST)


def counter_for(store: Store, **options: Any) -> SignalCounter:
    return SignalCounter(store, bot_id=lambda: BOT, **options)


def snowflake(at: float) -> int:
    return (int(at * 1000) - DISCORD_EPOCH_MS) << 22


# -- the store part, on SQLite and PostgreSQL ---------------------------------------------------------------------


def test_deltas_add_and_remove_by_emoji_and_never_go_below_zero(store: Store) -> None:
    posted(store)
    signals = store.signals
    signals.apply([SignalDelta(1, CHANNEL, reactions=3, emoji={"👍": 2, "fire:42": 1}, replies=2)])
    signals.apply([SignalDelta(1, CHANNEL, reactions=0, emoji={"👍": -1, "🎉": 1}, replies=-1)])
    row = signals.row(1, CHANNEL)
    assert row is not None
    assert (row.reactions, row.emoji, row.replies, row.shares) == (3, {"👍": 1, "fire:42": 1, "🎉": 1}, 1, 0)
    signals.apply([SignalDelta(1, CHANNEL, reactions=-9, emoji={"👍": -5}, replies=-4)])
    row = signals.row(1, CHANNEL)
    assert row is not None and (row.reactions, row.emoji["👍"], row.replies) == (0, 0, 0)


def test_clearing_every_reaction_or_one_emoji(store: Store) -> None:
    posted(store)
    signals = store.signals
    signals.apply([SignalDelta(1, CHANNEL, reactions=3, emoji={"👍": 2, "🎉": 1}, replies=4)])
    signals.apply([SignalDelta(1, CHANNEL, cleared_emoji={"👍"}, reactions=1, emoji={"🔥": 1})])
    row = signals.row(1, CHANNEL)
    assert row is not None and (row.reactions, row.emoji, row.replies) == (2, {"🎉": 1, "🔥": 1}, 4)
    signals.apply([SignalDelta(1, CHANNEL, cleared=True)])
    row = signals.row(1, CHANNEL)
    assert row is not None and (row.reactions, row.emoji, row.replies) == (0, {}, 4)


def test_shares_count_per_channel_shared_to(store: Store) -> None:
    posted(store)
    store.signals.record_share(2, 55)
    store.signals.record_share(2, 55)
    row = store.signals.row(2, 55)
    assert row is not None and (row.shares, row.reactions) == (2, 0)
    assert store.signals.row(2, FORUM) is None


def test_a_post_is_found_by_its_message_or_its_thread(store: Store) -> None:
    message_post, forum_post = posted(store)
    assert store.signals.post_of_message(MESSAGE) == message_post
    assert store.signals.post_of_thread(THREAD) == message_post
    assert store.signals.post_of_message(POST) == store.signals.post_of_thread(POST) == forum_post
    assert store.signals.post_of_message(THREAD) is None and store.signals.post_of_thread(MESSAGE) is None


def test_counts_unchanged_for_keep_days_are_pruned(store: Store) -> None:
    posted(store)
    now = time.time()
    store.signals.apply([SignalDelta(1, CHANNEL, replies=1)], now - 31 * 86400)
    store.signals.apply([SignalDelta(2, FORUM, replies=1)], now - 29 * 86400)
    assert store.signals.prune(30, now) == 1
    assert store.signals.row(1, CHANNEL) is None and store.signals.row(2, FORUM) is not None


def test_reconciled_counts_replace_the_stored_ones(store: Store) -> None:
    message_post, _ = posted(store)
    store.signals.apply([SignalDelta(1, CHANNEL, reactions=5, emoji={"👍": 5}, replies=9, shares=2)], 100.0)
    assert store.signals.reconciled(message_post, reactions={"👍": 1, "🎉": 2, "x": 0}, replies=3, now=200.0)
    row = store.signals.row(1, CHANNEL)
    assert row is not None
    assert (row.reactions, row.emoji, row.replies, row.shares) == (3, {"👍": 1, "🎉": 2}, 3, 2)
    assert (row.updated_at, row.reconciled_at) == (200.0, 200.0)
    # The same truth again only stamps the check: a quiet row still expires keep_days after its last change.
    assert not store.signals.reconciled(message_post, reactions={"👍": 1, "🎉": 2}, replies=3, now=300.0)
    row = store.signals.row(1, CHANNEL)
    assert row is not None and (row.updated_at, row.reconciled_at) == (200.0, 300.0)


# -- the counter: gateway events to deltas -------------------------------------------------------------------------


async def test_reactions_are_counted_and_a_resume_duplicate_is_not(sqlite_store: Store) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store)
    for user, added in ((MEMBER, True), (MEMBER, True), (OTHER, True), (OTHER, False), (OTHER, False), (OTHER, True)):
        counter.reaction(message_id=MESSAGE, user_id=user, emoji="👍", burst=False, added=added)
    counter.reaction(message_id=POST, user_id=MEMBER, emoji="fire:42", burst=False, added=True)
    counter.reaction(message_id=POST, user_id=MEMBER, emoji="fire:42", burst=True, added=True)  # a super reaction
    counter.reaction(message_id=123, user_id=MEMBER, emoji="👍", burst=False, added=True)  # not a story's post
    await counter.close()
    first, second = sqlite_store.signals.row(1, CHANNEL), sqlite_store.signals.row(2, FORUM)
    assert first is not None and (first.reactions, first.emoji) == (2, {"👍": 2})
    assert second is not None and (second.reactions, second.emoji) == (2, {"fire:42": 2})
    assert counter.stats.duplicates == 2 and counter.stats.ignored == 1


async def test_after_a_clear_members_may_react_again(sqlite_store: Store) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store)
    counter.reaction(message_id=MESSAGE, user_id=MEMBER, emoji="👍", burst=False, added=True)
    counter.reaction(message_id=MESSAGE, user_id=OTHER, emoji="🎉", burst=False, added=True)
    counter.reactions_cleared(message_id=MESSAGE)
    counter.reaction(message_id=MESSAGE, user_id=MEMBER, emoji="👍", burst=False, added=True)
    await counter.close()
    row = sqlite_store.signals.row(1, CHANNEL)
    assert row is not None and (row.reactions, row.emoji) == (1, {"👍": 1})


async def test_replies_count_members_messages_in_the_posts_threads(sqlite_store: Store) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store)
    counter.message_created(channel_id=THREAD, message_id=3001, author_id=MEMBER, webhook=False)
    counter.message_created(channel_id=THREAD, message_id=3001, author_id=MEMBER, webhook=False)  # replayed
    counter.message_created(channel_id=THREAD, message_id=3002, author_id=OTHER, webhook=False)
    counter.message_created(channel_id=THREAD, message_id=3003, author_id=BOT, webhook=False)  # the bot's opener
    counter.message_created(channel_id=POST, message_id=POST, author_id=BOT, webhook=False)  # the starter message
    counter.message_created(channel_id=POST, message_id=3004, author_id=77, webhook=True)  # a webhook post
    counter.message_created(channel_id=POST, message_id=3005, author_id=MEMBER, webhook=False)
    counter.message_created(channel_id=CHANNEL, message_id=3006, author_id=MEMBER, webhook=False)  # not a thread
    await counter.flush()
    counter.message_deleted(channel_id=THREAD, message_id=3002, author_id=None, webhook=False)
    counter.message_deleted(channel_id=THREAD, message_id=3002, author_id=None, webhook=False)  # replayed
    counter.message_deleted(channel_id=THREAD, message_id=3003, author_id=BOT, webhook=False)
    await counter.close()
    first, second = sqlite_store.signals.row(1, CHANNEL), sqlite_store.signals.row(2, FORUM)
    assert first is not None and first.replies == 1
    assert second is not None and second.replies == 1


async def test_events_are_written_in_batches(sqlite_store: Store) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store, flush_size=1000)
    for user in range(250):
        counter.reaction(message_id=MESSAGE, user_id=user, emoji="👍", burst=False, added=True)
    await counter.close()
    row = sqlite_store.signals.row(1, CHANNEL)
    assert row is not None and row.reactions == 250
    assert counter.stats.written == 1  # 250 events, one row written once


async def test_an_event_on_a_young_message_unknown_now_counts_once_its_post_is_known(sqlite_store: Store) -> None:
    clock = [time.time()]
    counter = counter_for(sqlite_store, clock=lambda: clock[0])
    young = snowflake(clock[0] - 5)
    # The bot's post is on Discord, its ledger row not settled yet: the first reaction finds no story and waits...
    counter.reaction(message_id=young, user_id=MEMBER, emoji="👍", burst=False, added=True)
    await counter.close()
    assert sqlite_store.signals.row(1, CHANNEL) is None
    posted(sqlite_store)
    with sqlite_store.engine.begin() as conn:
        conn.execute(update(deliveries).where(deliveries.c.story_id == 1).values(message_id=young))
    # ...and is counted with the next one, once the row names the message: neither is lost.
    counter.reaction(message_id=young, user_id=OTHER, emoji="👍", burst=False, added=True)
    await counter.close()
    row = sqlite_store.signals.row(1, CHANNEL)
    assert row is not None and row.reactions == 2


async def test_an_event_on_a_message_that_never_becomes_a_post_is_dropped_after_a_while(sqlite_store: Store) -> None:
    clock = [time.time()]
    counter = counter_for(sqlite_store, clock=lambda: clock[0])
    members_message = snowflake(clock[0] - 5)
    counter.reaction(message_id=members_message, user_id=MEMBER, emoji="👍", burst=False, added=True)
    await counter.close()
    assert counter.stats.ignored == 0  # parked, not yet given up
    clock[0] += PARK_SECONDS + 1
    await counter.flush()
    assert counter.stats.ignored == 1 and sqlite_store.signals.row(1, CHANNEL) is None


# -- reconcile after a gap -----------------------------------------------------------------------------------------


class FakeDiscordCounts:
    """What GET /channels/{c}/messages/{m} and GET /channels/{thread} answer, and what was asked."""

    def __init__(self) -> None:
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.threads: dict[int, dict[str, Any]] = {}
        self.asked: list[tuple[str, int]] = []

    async def message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        self.asked.append(("message", message_id))
        if (channel_id, message_id) not in self.messages:
            raise DeliveryError("not found: Unknown Message", retryable=False, status=404, gone=True)
        return self.messages[(channel_id, message_id)]

    async def channel(self, channel_id: int) -> dict[str, Any]:
        self.asked.append(("channel", channel_id))
        return self.threads[channel_id]


def kinds(channel_id: int) -> ChannelInfo | None:
    """The channel check's view: FORUM is a forum, CHANNEL a text channel."""
    return ChannelInfo(ChannelKind.FORUM if channel_id == FORUM else ChannelKind.TEXT)


def reactions(*pairs: tuple[str | tuple[str, int], int], me: bool = False) -> dict[str, Any]:
    out = []
    for emoji, count in pairs:
        name, eid = (emoji, None) if isinstance(emoji, str) else emoji
        out.append({"count": count, "me": me, "me_burst": False, "emoji": {"id": eid and str(eid), "name": name}})
    return {"reactions": out}


def test_reaction_counts_leave_out_the_bots_own() -> None:
    assert reaction_counts(reactions(("👍", 3), (("fire", 42), 1))) == {"👍": 3, "fire:42": 1}
    assert reaction_counts(reactions(("👍", 3), me=True)) == {"👍": 2}
    assert reaction_counts({}) == {}


async def test_reconcile_after_a_gap_sets_discords_counts(sqlite_store: Store) -> None:
    posted(sqlite_store)
    counter = counter_for(sqlite_store)
    # Counted before the bot stopped: 1 reaction, 1 reply on story 1; 2 reactions on story 2.
    counter.reaction(message_id=MESSAGE, user_id=MEMBER, emoji="👍", burst=False, added=True)
    counter.message_created(channel_id=THREAD, message_id=3001, author_id=MEMBER, webhook=False)
    counter.reaction(message_id=POST, user_id=MEMBER, emoji="👍", burst=False, added=True)
    counter.reaction(message_id=POST, user_id=OTHER, emoji="👍", burst=False, added=True)
    await counter.close()
    # While it was down: story 1 got two more reactions and a reply; one reaction on story 2 was removed.
    discord = FakeDiscordCounts()
    discord.messages[(CHANNEL, MESSAGE)] = reactions(("👍", 2), ("🎉", 1))
    discord.threads[THREAD] = {"message_count": 3}  # the bot's opener and two replies
    discord.messages[(POST, POST)] = reactions(("👍", 1))
    discord.threads[POST] = {"message_count": 0}  # the starter message is not counted
    reconciler = Reconciler(
        sqlite_store,
        fetch_message=discord.message,
        fetch_channel=discord.channel,
        keep_days=30,
        owns=lambda channel: True,
        channel_info=kinds,
        before=counter.settle,
        interval=0.0,
    )
    report = await reconciler.run_pass()
    assert (report.checked, report.changed, report.failed) == (2, 2, 0)
    first, second = sqlite_store.signals.row(1, CHANNEL), sqlite_store.signals.row(2, FORUM)
    assert first is not None and (first.reactions, first.emoji, first.replies) == (3, {"👍": 2, "🎉": 1}, 2)
    assert second is not None and (second.reactions, second.emoji, second.replies) == (1, {"👍": 1}, 0)
    assert first.reconciled_at is not None
    # Newest first, one message and one thread look-up per post, the forum post's message read in the post.
    assert sorted(discord.asked) == sorted(
        [("message", MESSAGE), ("channel", THREAD), ("message", POST), ("channel", POST)]
    )
    # After the reconcile, live events add to the truth.
    counter.reaction(message_id=MESSAGE, user_id=OTHER, emoji="🎉", burst=False, added=True)
    await counter.close()
    first = sqlite_store.signals.row(1, CHANNEL)
    assert first is not None and first.emoji == {"👍": 2, "🎉": 2}


async def test_reconcile_is_bounded_and_skips_channels_of_other_processes(sqlite_store: Store) -> None:
    posted(sqlite_store)
    discord = FakeDiscordCounts()
    discord.messages[(CHANNEL, MESSAGE)] = reactions(("👍", 4))
    discord.threads[THREAD] = {"message_count": 1}
    discord.messages[(POST, POST)] = reactions(("👍", 1))
    discord.threads[POST] = {"message_count": 0}
    reconciler = Reconciler(
        sqlite_store,
        fetch_message=discord.message,
        fetch_channel=discord.channel,
        keep_days=30,
        owns=lambda channel: channel == CHANNEL,  # the forum is another shard's
        channel_info=kinds,
        interval=0.0,
    )
    assert (await reconciler.run_pass()).checked == 1
    assert sqlite_store.signals.row(2, FORUM) is None and discord.asked == [("message", MESSAGE), ("channel", THREAD)]
    reconciler.owns, reconciler.limit = (lambda channel: True), 1
    discord.asked.clear()
    assert (await reconciler.run_pass()).checked == 1  # only the newest post (story 2)
    assert discord.asked == [("message", POST), ("channel", POST)]


async def test_a_channel_not_checked_yet_is_read_as_a_channel_then_as_a_forum(sqlite_store: Store) -> None:
    posted(sqlite_store)
    discord = FakeDiscordCounts()
    discord.messages[(CHANNEL, MESSAGE)] = reactions(("👍", 1))
    discord.threads[THREAD] = {"message_count": 1}
    discord.messages[(POST, POST)] = reactions(("👍", 2))  # not in FORUM: in the post
    discord.threads[POST] = {"message_count": 1}
    reconciler = Reconciler(
        sqlite_store,
        fetch_message=discord.message,
        fetch_channel=discord.channel,
        keep_days=30,
        owns=lambda channel: True,
        channel_info=lambda channel: None,
        interval=0.0,
    )
    assert (await reconciler.run_pass()).changed == 2
    first, second = sqlite_store.signals.row(1, CHANNEL), sqlite_store.signals.row(2, FORUM)
    assert first is not None and (first.reactions, first.replies) == (1, 0)  # the bot's opener is no reply
    assert second is not None and (second.reactions, second.replies) == (2, 1)
