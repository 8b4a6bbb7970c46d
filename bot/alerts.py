"""Alerts: tell the admins in Discord when something needs them, at most once per problem per hour."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.embeds import neutralize_mentions
from bot.sinks import DeliveryError
from bot.store.admin import NewsroomStore

log = logging.getLogger(__name__)

ALERT_COLOR = 0xD97706
Send = Callable[[int, dict[str, Any]], Awaitable[Any]]
GuildOf = Callable[[int], int | None]


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # identifies the problem for throttling, e.g. "forbidden:123"
    title: str
    what: str
    todo: str
    guild_id: int | None = None  # None: a problem of the bot as a whole, sent to every alerts channel

    def payload(self) -> dict[str, Any]:
        return {
            "content": "",
            "embeds": [
                {
                    "title": neutralize_mentions(f"⚠️ {self.title}")[:256],
                    "description": neutralize_mentions(f"{self.what}\n\n**What to do:** {self.todo}")[:4000],
                    "color": ALERT_COLOR,
                    "footer": {"text": "Newsdesk alert · repeats at most once an hour"},
                }
            ],
            "allowed_mentions": {"parse": []},
        }


def channel_forbidden(channel_id: int, guild_id: int | None, reason: str) -> Alert:
    return Alert(
        f"forbidden:{channel_id}",
        "Missing permissions in a news channel",
        f"Posting to <#{channel_id}> failed: {reason}. Stories routed there are not being delivered.",
        "Give the bot View Channel, Send Messages, Embed Links and Read Message History in that channel, "
        "or remove the route with `/feed remove`.",
        guild_id,
    )


def story_rejected(path: str, error: str) -> Alert:
    return Alert(
        f"rejected:{path}",
        "A story file was rejected",
        f"`{path}` could not be used: {error}",
        "Fix the file (run `newsdesk check` on the server for every problem at once); it is picked up as soon "
        "as it is saved.",
    )


def discord_failing(channel_id: int, guild_id: int | None, attempts: int, reason: str) -> Alert:
    return Alert(
        f"failing:{channel_id}",
        "Discord keeps failing",
        f"Sending to <#{channel_id}> has failed {attempts} times in a row ({reason}). Nothing is lost: the bot "
        "keeps retrying with backoff and posts everything once Discord answers again.",
        "Usually nothing: check https://discordstatus.com. If it lasts, check the bot's network and logs.",
        guild_id,
    )


def digest_failed(name: str, channel_id: int, guild_id: int | None, reason: str) -> Alert:
    return Alert(
        f"digest:{name}:{channel_id}",
        f"Digest '{name}' could not be posted",
        f"Posting the digest to <#{channel_id}> failed: {reason}. It stays scheduled.",
        "Check the bot's permissions in that channel, or move the digest with `/digest schedule`.",
        guild_id,
    )


class Alerter:
    """Sends alerts to the alerts channels. Also the pipeline's observer, turning its events into alerts."""

    # A few retries are routine; this many in a row means Discord (or the network) is really failing.
    FAILING_AFTER = 5

    def __init__(
        self,
        newsroom: NewsroomStore,
        send: Send,
        *,
        config_channel: int | None,
        guild_of: GuildOf,
        every: float = 3600.0,
    ) -> None:
        self._newsroom = newsroom
        self._send = send
        self._config_channel = config_channel
        self._guild_of = guild_of
        self._every = every
        self._tasks: set[asyncio.Task[Any]] = set()

    def targets(self, guild_id: int | None) -> list[int]:
        channels = self._newsroom.alert_channels()
        found = [channels[guild_id]] if guild_id in channels else [] if guild_id else list(channels.values())
        if self._config_channel and self._config_channel not in found:
            found.append(self._config_channel)
        return found

    async def raise_alert(self, alert: Alert) -> bool:
        """Post ``alert`` unless the same problem was reported within the hour. True if it was posted."""
        log.warning("Alert: %s: %s", alert.title, alert.what)
        targets = await asyncio.to_thread(self.targets, alert.guild_id)
        if not targets:
            return False
        if not await asyncio.to_thread(self._newsroom.claim_alert, alert.key, every=self._every):
            return False
        sent = False
        for channel_id in targets:
            try:
                await self._send(channel_id, alert.payload())
                sent = True
            except DeliveryError as exc:
                # The alerts channel itself may be the broken one; the log line above still has the alert.
                log.error("Could not post an alert to channel %s: %s", channel_id, exc.reason)
        return sent

    def _spawn(self, alert: Alert) -> None:
        # Observers are called from send queues and scans, which must not wait on the alert being posted.
        task = asyncio.get_running_loop().create_task(self.raise_alert(alert))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- pipeline observer --------------------------------------------------------------------------------

    def delivery_failed(self, channel_id: int, status: int | None, reason: str) -> None:
        if status == 403:
            self._spawn(channel_forbidden(channel_id, self._guild_of(channel_id), reason))

    def delivery_retrying(self, channel_id: int, attempt: int, reason: str) -> None:
        if attempt == self.FAILING_AFTER:
            self._spawn(discord_failing(channel_id, self._guild_of(channel_id), attempt, reason))

    def files_rejected(self, rejected: Iterable[tuple[str, str]]) -> None:
        for path, error in rejected:
            self._spawn(story_rejected(path, error))

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
