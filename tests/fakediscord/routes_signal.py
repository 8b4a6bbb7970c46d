"""Members' reactions and thread messages, driven by tests: each changes the fake's state as Discord would (the
message's ``reactions`` in GET, the thread's ``message_count``) and dispatches the gateway event with Discord's
fields to the sessions whose IDENTIFY asked for its intent. With no session connected (the bot is down) only the
state changes: what a reconcile must find after a restart. ``replay_signal_events`` sends the last events again,
as a RESUME may. ``stream_signal_events`` sends thousands a second, paced on the server's own loop (a benchmark's
load: one call per event would cost a thread hop each and measure the caller, not the bot)."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .world import READER_ID, MemberSpec

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .server import FakeServer
    from .store import FakeState

NORMAL, BURST = 0, 1
REACT, UNREACT, REPLY = "react", "unreact", "reply"


class SignalEvent(NamedTuple):
    """One member action for ``stream_signal_events``: ``react``/``unreact`` (``channel_id``, ``message_id``,
    ``emoji``) or ``reply`` (``channel_id`` the thread or forum post; ``message_id`` and ``emoji`` unused)."""

    kind: str
    channel_id: int
    message_id: int
    emoji: str
    user_id: int


@dataclass(frozen=True)
class StreamReport:
    sent: int  # events dispatched (an add the member had already made, or a remove they had not, sends none)
    skipped: int
    started: float  # epoch seconds of the first and last dispatch
    finished: float

    @property
    def rate(self) -> float:
        span = self.finished - self.started
        return self.sent / span if span > 0 else float(self.sent)


def emoji_object(emoji: str | tuple[str, int]) -> dict[str, Any]:
    """``"👍"`` (a Unicode emoji) or ``("name", id)`` (a server's custom emoji)."""
    if isinstance(emoji, str):
        return {"id": None, "name": emoji}
    return {"id": str(emoji[1]), "name": emoji[0], "animated": False}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("id") == b.get("id") and (a.get("id") is not None or a.get("name") == b.get("name"))


class SignalMixin:
    state: FakeState
    server: FakeServer
    if TYPE_CHECKING:

        def _call(self, coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any: ...

    _signal_events: list[tuple[str, dict[str, Any]]]

    # ----- reactions -----------------------------------------------------------------------
    def add_reaction(
        self, channel_id: int, message_id: int, emoji: str | tuple[str, int] = "👍", *, user_id: int = READER_ID
    ) -> bool:
        """A member reacts (False, and no event, when they already had: Discord ignores it)."""
        return self._react(int(channel_id), int(message_id), emoji_object(emoji), int(user_id), add=True)

    def remove_reaction(
        self, channel_id: int, message_id: int, emoji: str | tuple[str, int] = "👍", *, user_id: int = READER_ID
    ) -> bool:
        return self._react(int(channel_id), int(message_id), emoji_object(emoji), int(user_id), add=False)

    def remove_all_reactions(self, channel_id: int, message_id: int) -> None:
        """A moderator clears the message's reactions (MESSAGE_REACTION_REMOVE_ALL)."""
        with self.state.lock:
            record, guild_id = self._message(int(channel_id), int(message_id))
            record.pop("reactions", None)
            record.pop("reactors", None)
        self._signal(
            "MESSAGE_REACTION_REMOVE_ALL",
            {"channel_id": str(channel_id), "message_id": str(message_id), "guild_id": guild_id},
        )

    def _react(self, channel_id: int, message_id: int, emoji: dict[str, Any], user_id: int, *, add: bool) -> bool:
        change = self._reaction_change(channel_id, message_id, emoji, user_id, add=add)
        if change is None:
            return False
        self._signal(*change)
        return True

    def _reaction_change(
        self, channel_id: int, message_id: int, emoji: dict[str, Any], user_id: int, *, add: bool
    ) -> tuple[str, dict[str, Any]] | None:
        """The message's reactions changed as Discord would; the event to send (None: nothing changed)."""
        state = self.state
        with state.lock:
            record, guild_id = self._message(channel_id, message_id)
            reactors: list[list[Any]] = record.setdefault("reactors", [])
            mine = [user_id, emoji, False]
            if (mine in reactors) == add:
                return None
            reactions: list[dict[str, Any]] = record.setdefault("reactions", [])
            entry = next((r for r in reactions if _same(r["emoji"], emoji)), None)
            if add:
                reactors.append(mine)
                if entry is None:
                    entry = {"count": 0, "count_details": {"burst": 0, "normal": 0}, "me": False, "me_burst": False}
                    entry.update(emoji=emoji, burst_colors=[])
                    reactions.append(entry)
                entry["count"] += 1
                entry["count_details"]["normal"] += 1
            else:
                reactors.remove(mine)
                assert entry is not None
                entry["count"] -= 1
                entry["count_details"]["normal"] -= 1
                if entry["count"] == 0:
                    reactions.remove(entry)
            if not reactions:
                record.pop("reactions")  # Discord leaves the field out of a message nobody reacted to
            if user_id == state.config.bot_id:
                entry["me"] = add
            event: dict[str, Any] = {
                "user_id": str(user_id),
                "channel_id": str(channel_id),
                "message_id": str(message_id),
                "guild_id": guild_id,
                "emoji": emoji,
                "burst": False,
                "type": NORMAL,
            }
            if add:
                guild = state.guild(int(guild_id))
                assert guild is not None
                if guild.member(user_id) is None:
                    guild.members.append(MemberSpec(id=user_id, username=f"user{user_id}"))
                event.update(
                    member=state.member_obj(guild, user_id), message_author_id=record["author"]["id"], burst_colors=[]
                )
        return "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", event

    # ----- messages in threads -------------------------------------------------------------
    def post_reply(self, thread_id: int, user_id: int = READER_ID) -> int:
        """A member writes in a thread or forum post: MESSAGE_CREATE without content (this bot has no Message
        Content intent); the thread's ``message_count`` goes up. Returns the message id."""
        event = self._reply_change(thread_id, user_id)
        self._signal("MESSAGE_CREATE", event)
        return int(event["id"])

    def _reply_change(self, thread_id: int, user_id: int) -> dict[str, Any]:
        state = self.state
        with state.lock:
            found = state.channel(int(thread_id))
            if found is None:
                raise ValueError(f"unknown channel {thread_id}")
            guild = found[0]
            if guild.member(user_id) is None:
                guild.members.append(MemberSpec(id=user_id, username=f"user{user_id}"))
            member = state.member_obj(guild, user_id) or {}
            author = member.pop("user")
            record = state.build_message(int(thread_id), {"content": "a reply"}, author=author, source="user")
        event = {
            **{
                k: v for k, v in record.items() if k not in ("edits", "deleted", "pinged", "allowed_mentions", "source")
            },
            "content": "",
            "member": member,
            "guild_id": str(guild.id),
        }
        return event

    def delete_reply(self, thread_id: int, message_id: int) -> None:
        """A member deletes their message: MESSAGE_DELETE (ids only), and ``message_count`` goes down."""
        with self.state.lock:
            _, guild_id = self._message(int(thread_id), int(message_id))
            self.state.delete_message(int(message_id), int(thread_id))
        self._signal("MESSAGE_DELETE", {"id": str(message_id), "channel_id": str(thread_id), "guild_id": guild_id})

    # ----- a sustained stream --------------------------------------------------------------
    def stream_signal_events(self, events: Sequence[SignalEvent], rate: float) -> StreamReport:
        """Dispatch ``events`` in order at ``rate`` a second (each changing the state as its one-event method does;
        none kept for ``replay_signal_events``); blocks until the last is sent. If the server cannot keep up, the
        report's ``rate`` says what it managed."""
        budget = len(events) / rate + 60.0
        report: StreamReport = self._call(self._stream(events, rate), timeout=budget)
        return report

    async def _stream(self, events: Sequence[SignalEvent], rate: float) -> StreamReport:
        broadcast = self.server.gateway.broadcast
        loop = asyncio.get_running_loop()
        begin, started = loop.time(), time.time()
        sent = skipped = 0
        for index, event in enumerate(events):
            ahead = begin + index / rate - loop.time()
            if ahead > 0.001:
                # Every event due by then goes out in one wake-up; the loop serves interactions in between.
                await asyncio.sleep(ahead)
            elif index % 64 == 0:
                await asyncio.sleep(0)  # behind: still let interactions through
            if event.kind == REPLY:
                await broadcast("MESSAGE_CREATE", self._reply_change(event.channel_id, event.user_id), fresh=True)
                sent += 1
                continue
            emoji = emoji_object(event.emoji)
            add = event.kind == REACT
            change = self._reaction_change(event.channel_id, event.message_id, emoji, event.user_id, add=add)
            if change is None:
                skipped += 1
                continue
            await broadcast(*change, fresh=True)
            sent += 1
        return StreamReport(sent, skipped, started, time.time())

    # ----- events --------------------------------------------------------------------------
    def replay_signal_events(self, count: int = 1) -> int:
        """Send the last ``count`` reaction or message events again (a RESUME's duplicate); returns sessions reached."""
        events = self._events()[-count:]
        reached = 0
        for event, data in events:
            reached = self._call(self.server.gateway.broadcast(event, copy.deepcopy(data))) or 0
        return reached

    def _events(self) -> list[tuple[str, dict[str, Any]]]:
        with self.state.lock:
            if not hasattr(self, "_signal_events"):
                self._signal_events = []
            return self._signal_events

    def _signal(self, event: str, data: dict[str, Any]) -> None:
        self._events().append((event, copy.deepcopy(data)))
        # Only to sessions with the event's intent (gateway.EVENT_INTENTS).
        self._call(self.server.gateway.broadcast(event, data))

    def _message(self, channel_id: int, message_id: int) -> tuple[dict[str, Any], str]:
        """The live record (under the lock) and its guild's id."""
        record = self.state.msgs.get(message_id)
        if record is None or record["deleted"] or record["channel_id"] != str(channel_id):
            raise ValueError(f"no message {message_id} in channel {channel_id}")
        return record, str(record["guild_id"])
