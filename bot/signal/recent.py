"""What the counter remembers of recent events, in memory only: each (member, message, emoji)'s last reaction
action and recent message ids, so a duplicate delivered after a RESUME is recognised. Bounded; nothing stored."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A dict that forgets its oldest entries beyond ``size``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def drop(self, keep: Callable[[K], bool]) -> None:
        for key in [k for k in self._items if not keep(k)]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


class RecentEvents:
    """Recognises an event seen before. A reaction is a state per (member, message, emoji, burst): an add after an
    add (or a remove after a remove) is the same event again, while add, remove, add is three real ones."""

    def __init__(self, size: int = 50_000) -> None:
        self._reactions: Bounded[tuple[int, int, str, bool], bool] = Bounded(size)
        self._messages: Bounded[tuple[int, bool], bool] = Bounded(size)

    def reaction(self, user_id: int, message_id: int, emoji: str, burst: bool, added: bool) -> bool:
        """True if this add/remove is news."""
        key = (message_id, user_id, emoji, burst)
        if self._reactions.get(key) is added:
            return False
        self._reactions.put(key, added)
        return True

    def cleared(self, message_id: int, emoji: str | None) -> None:
        """A moderator removed every reaction (or every one of ``emoji``) on the message: its members may add again."""
        self._reactions.drop(lambda k: not (k[0] == message_id and (emoji is None or k[2] == emoji)))

    def message(self, message_id: int, created: bool) -> bool:
        """True the first time a message's creation (or deletion) is seen."""
        key = (message_id, created)
        if key in self._messages:
            return False
        self._messages.put(key, True)
        return True
