"""How the send queue reaches its channel: the ``Deliverer`` interface, and the plain one for sinks without
channel kinds (the console). Discord's channel kinds are in ``bot/send/kinds/deliverer.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.send.kinds.payloads import Placement
from bot.send.sinks import Sink
from bot.store import Delivery


@dataclass(frozen=True, slots=True)
class Posted:
    placement: Placement
    crosspost: bool = False  # wanted: the queue records it as not yet done, then calls ``follow_up``
    crossposted: bool = False  # an adopted post that was crossposted before the crash: recorded as done


class PostFinder(Protocol):
    """Finds a post of a story's link already in the channel (bot/cluster/claims.py Adopter)."""

    async def find(self, channel_id: int, link: str) -> int | None: ...

    async def find_message(
        self, channel_id: int, link: str, *, webhook_id: int | None = None
    ) -> Mapping[str, Any] | None: ...


class Deliverer(Protocol):
    async def post(self, d: Delivery, payload: dict[str, Any], nonce: str) -> Posted: ...

    async def adopt(self, d: Delivery, finder: PostFinder | None) -> Posted | None:
        """The row's post made before a crash or a lost answer, found (and finished: its thread, its opener) so
        it is recorded instead of posted again; None when there is none (or nothing can tell)."""
        ...

    async def edit(self, d: Delivery, payload: dict[str, Any]) -> None: ...

    async def delete(self, d: Delivery) -> None: ...

    def follow_up(self, d: Delivery, posted: Posted) -> None:
        """Best-effort work after the post is recorded (crossposts); must not block the queue."""
        ...

    async def close(self) -> None: ...


class PlainDeliverer:
    """Every channel is a text channel: the console, and any sink without channel kinds."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    async def post(self, d: Delivery, payload: dict[str, Any], nonce: str) -> Posted:
        return Posted(Placement(await self._sink.post(d.channel_id, payload, nonce=nonce)))

    async def adopt(self, d: Delivery, finder: PostFinder | None) -> Posted | None:
        found = await finder.find(d.channel_id, d.story.web_url) if finder is not None else None
        return None if found is None else Posted(Placement(found))

    async def edit(self, d: Delivery, payload: dict[str, Any]) -> None:
        assert d.message_id is not None
        await self._sink.edit(d.channel_id, d.message_id, payload)

    async def delete(self, d: Delivery) -> None:
        assert d.message_id is not None
        await self._sink.delete(d.channel_id, d.message_id)

    def follow_up(self, d: Delivery, posted: Posted) -> None:
        pass

    async def close(self) -> None:
        pass
