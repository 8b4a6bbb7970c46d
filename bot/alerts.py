"""Alerts: tell the admins in Discord when something needs them, at most once per problem per hour.

Servers are walled off: an alert about a channel goes only to that channel's server (its ``/newsdesk alerts``
channel, if it set one). An alert about the whole deployment (rejected story files, with their paths), or
about a channel whose server is unknown, goes only to the home server's (``discord.home_guild``). The
config's ``alerts.channel`` belongs to the operators and gets every alert.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.render.listing import summarize_list
from bot.render.text import neutralize_mentions
from bot.send.errors import DeliveryError
from bot.store import Store

log = logging.getLogger(__name__)

ALERT_COLOR = 0xD97706
SHOWN_FILES = 10
Send = Callable[[int, dict[str, Any]], Awaitable[Any]]
GuildOf = Callable[[int], int | None]


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # identifies the problem for throttling, e.g. "forbidden:123"
    title: str
    what: str
    todo: str
    guild_id: int | None = None  # None: a problem of the whole deployment, sent to the home server only

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


def channel_unusable(channel_id: int, guild_id: int | None, label: str, problem: str) -> Alert:
    return Alert(
        f"unusable:{channel_id}",
        "A news channel can't be used",
        f"Channel {channel_id} ({label}) {problem}. Stories routed there wait; none are lost.",
        "Fix the channel id in the config file or `/feed`, or give the bot View Channel, Send Messages and Embed "
        "Links there. The bot checks again every few minutes and then posts what waited.",
        guild_id,
    )


def stories_rejected(rejected: Sequence[tuple[str, str]]) -> Alert:
    """One alert for a batch of rejected files: a bad sync of 500 files must not become 500 messages."""
    shown = summarize_list([f"• {error}" for _path, error in rejected], SHOWN_FILES, sep="\n")
    title = "A story file was rejected" if len(rejected) == 1 else f"{len(rejected)} story files were rejected"
    return Alert(
        "rejected:" + ",".join(path for path, _ in rejected),
        title,
        shown,
        "Fix the files (`newsdesk check` on the server lists every problem); each is picked up as soon as it is saved.",
    )


def rejection_key(path: str, reason: str) -> str:
    return f"rejected:{path}:{hashlib.sha256(reason.encode()).hexdigest()[:16]}"


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
        store: Store,
        send: Send,
        *,
        config_channel: int | None,
        guild_of: GuildOf,
        home_guild: int | None = None,
        every: float = 3600.0,
    ) -> None:
        self._newsroom = store.newsroom
        self._db = store.run_concurrent
        self._send = send
        self._config_channel = config_channel
        self._guild_of = guild_of
        self._home = home_guild
        self._every = every
        self._tasks: set[asyncio.Task[Any]] = set()

    def targets(self, guild_id: int | None) -> list[int]:
        """The alerts channels for a problem of ``guild_id`` (None: the deployment's), see the module docstring."""
        channels = self._newsroom.alert_channels()
        server = self._home if guild_id is None else guild_id
        found = [channels[server]] if server is not None and server in channels else []
        if self._config_channel and self._config_channel not in found:
            found.append(self._config_channel)
        return found

    async def raise_alert(self, alert: Alert) -> bool:
        """Post ``alert`` unless the same problem was reported within the hour. True if it was posted."""
        log.warning("Alert: %s: %s", alert.title, alert.what)
        if not await self._db(self._newsroom.claim_alert, alert.key, every=self._every):
            return False
        return await self._post(alert)

    async def _post(self, alert: Alert) -> bool:
        targets = await self._db(self.targets, alert.guild_id)
        sent = False
        for channel_id in targets:
            try:
                await self._send(channel_id, alert.payload())
                sent = True
            except DeliveryError as exc:
                # The alerts channel itself may be the broken one; the log line above still has the alert.
                log.error("Could not post an alert to channel %s: %s", channel_id, exc.reason)
        return sent

    async def _report_rejections(self, rejected: list[tuple[str, str]]) -> None:
        # Throttled per file and reason: a new reason is news, the same one again within the hour is not.
        claim = self._newsroom.claim_alert
        fresh = [(p, e) for p, e in rejected if await self._db(claim, rejection_key(p, e), every=self._every)]
        if fresh:
            alert = stories_rejected(fresh)
            log.warning("Alert: %s", alert.title)
            await self._post(alert)

    def _spawn(self, work: Alert | Coroutine[Any, Any, None]) -> None:
        # Observers are called from send queues and scans, which must not wait on the alert being posted.
        coro = self.raise_alert(work) if isinstance(work, Alert) else work
        task = asyncio.get_running_loop().create_task(coro)
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
        batch = list(rejected)
        if batch:
            self._spawn(self._report_rejections(batch))

    def digest_failed(self, name: str, channel_id: int, reason: str) -> None:
        self._spawn(digest_failed(name, channel_id, self._guild_of(channel_id), reason))

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
