"""One delivery strategy per channel kind: how a ledger row's post, edit and delete reach Discord.

The send queue (``bot/send/queue.py``) decides *what* to do and records it; a ``Deliverer`` decides *how*, from the
channel's kind (learned by the channel check) and the route's options:

- text/announcement channels: a plain message (with a nonce), optionally through the channel's Newsdesk webhook
  (the provider's name as author), optionally with a discussion thread under it;
- announcement channels with ``publish``: a crosspost after the post is recorded, best-effort and off the queue;
- forum/media channels: a forum post whose starter message is the story, tagged with its topics.

Exactly-once: a row counts as delivered only once Discord returned the id. Plain messages carry a nonce, so a
resend after a crash returns the same message. Forum posts, webhook messages, discussion threads and crossposts have
no nonce: the row is marked as being sent before the call (``WebhookStore.mark_sending``), and a row so marked, or
found in flight, is first looked for in Discord (``adopt``: the forum's posts, the channel's history by our webhook,
the message's thread) and recorded when found. A crosspost wanted but never answered is done at the next start
(``resume_crossposts``); one already done (the message's flag, or 40033) counts as done.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from bot.alerts import Alert
from bot.cluster.adopt import is_crossposted, thread_of
from bot.config import KindOptions
from bot.send.discord_sink import DiscordSink, Webhook
from bot.send.errors import DeliveryError
from bot.send.kinds.adopt import PostSearch
from bot.send.kinds.base import Posted, PostFinder
from bot.send.kinds.payloads import (
    MANAGE_CHANNELS,
    MANAGE_WEBHOOKS,
    WEBHOOK_NAME,
    ChannelInfo,
    ChannelKind,
    Placement,
    discussion_opener,
    forum_post,
    matching_tags,
    missing_tags,
    thread_name,
    webhook_identity,
)
from bot.send.queue import delivery_nonce
from bot.store import Delivery, Store

log = logging.getLogger(__name__)

CROSSPOST_LIMITED = "Discord's crosspost limit for this channel is reached (about 10 an hour)"


def webhook_unavailable(channel_id: int, reason: str) -> Alert:
    return Alert(
        f"webhook:{channel_id}",
        "Stories can't be posted as their provider",
        f"Channel <#{channel_id}> has `webhook: true`, but the bot can't use a webhook there ({reason}). Its "
        "stories are posted as normal messages instead; none are lost.",
        "Give the bot Manage Webhooks in that channel (`newsdesk invite --webhooks`), or remove `webhook: true`.",
    )


class KindDeliverer:
    """Delivers through Discord according to each channel's kind and its route's options."""

    def __init__(
        self,
        sink: DiscordSink,
        store: Store,
        *,
        options: Callable[[int], KindOptions],
        avatars: Mapping[str, str],
        bot_id: Callable[[], int],
        alert: Callable[[Alert], Awaitable[Any]],
    ) -> None:
        self._sink = sink
        self._webhooks = store.webhooks
        self._run = store.run_concurrent
        self._options = options
        self._avatars = avatars
        self._bot_id = bot_id
        self._alert = alert
        self._hooks: dict[int, Webhook | None] = {}  # channel → its webhook; None: fall back to normal messages
        self._search = PostSearch(sink, bot_id)
        self._tasks: set[asyncio.Task[None]] = set()

    async def _info(self, channel_id: int) -> ChannelInfo:
        info = self._sink.channel_info(channel_id)
        if info is None:  # the gate's check could not complete (outage): ask once more
            with contextlib.suppress(DeliveryError):
                await self._sink.check_channel(channel_id, self._bot_id())
            info = self._sink.channel_info(channel_id)
        return info or ChannelInfo(ChannelKind.TEXT)

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._run(fn, *args)

    # -- post ---------------------------------------------------------------------------------------------

    async def post(self, d: Delivery, payload: dict[str, Any], nonce: str) -> Posted:
        channel_id = d.channel_id
        info, options = await self._info(channel_id), self._options(channel_id)
        hook = await self._webhook(channel_id, info) if options.webhook else None
        if hook is not None or info.kind is ChannelKind.FORUM or options.thread or _crossposts(info, options):
            # Nothing in what follows carries a nonce: a restart after a crash must look before posting again.
            await self._db(self._webhooks.mark_sending, d.story_id, channel_id)
        if info.kind is ChannelKind.FORUM:
            return Posted(await self._forum_post(d, payload, info, options, hook))
        if hook is not None:
            data = await self._execute(hook, {**payload, **webhook_identity(d.story, self._avatars)})
            message_id = int(data["id"])
        else:
            message_id = await self._sink.post(channel_id, payload, nonce=nonce)
        thread_id = None
        if options.thread:
            thread_id = await self._discussion(d, message_id, options, nonce, retry_safe=hook is None)
        placement = Placement(message_id, thread_id, hook[0] if hook else None)
        return Posted(placement, crosspost=_crossposts(info, options))

    async def adopt(self, d: Delivery, finder: PostFinder | None) -> Posted | None:
        channel_id, link = d.channel_id, d.story.web_url
        info, options = await self._info(channel_id), self._options(channel_id)
        hook = await self._known_webhook(channel_id) if options.webhook else None
        hook_id = hook[0] if hook else None
        try:
            if info.kind is ChannelKind.FORUM:
                name = thread_name(d.story.title)
                post_id = await self._search.forum_post(channel_id, info, name, link, hook_id)
                return None if post_id is None else Posted(Placement(post_id, post_id, hook_id))
            message = await finder.find_message(channel_id, link, webhook_id=hook_id) if finder else None
            if message is None:
                return None
            message_id, thread_id = int(message["id"]), None
            if options.thread:
                nonce = delivery_nonce(d.story.key, channel_id, d.generation)
                thread_id = await self._discussion(
                    d, message_id, options, nonce, retry_safe=hook is None, found=thread_of(message) or 0
                )
        except DeliveryError as exc:
            if exc.retryable:
                raise
            # Discord won't let us look (a permission): posting again is the lesser harm than never posting.
            log.warning("Channel %s: could not look for a post of '%s': %s", channel_id, d.story.title, exc.reason)
            return None
        wanted = _crossposts(info, options)
        done = wanted and is_crossposted(message)
        return Posted(Placement(message_id, thread_id, hook_id), crosspost=wanted and not done, crossposted=done)

    async def _forum_post(
        self, d: Delivery, payload: dict[str, Any], info: ChannelInfo, options: KindOptions, hook: Webhook | None
    ) -> Placement:
        tags = matching_tags((await self._forum_tags(d, info, options)).tags, d.story.topics)
        body = forum_post(d.story, payload, tags, options.auto_archive_duration)
        if hook is not None:
            message = {**body["message"], **webhook_identity(d.story, self._avatars)}
            data = await self._execute(hook, {**message, "thread_name": body["name"], "applied_tags": tags})
            return Placement(int(data["id"]), int(data["channel_id"]), hook[0])
        thread = await self._sink.create_forum_post(d.channel_id, body)
        return Placement(int(thread["id"]), int(thread["id"]))

    async def _forum_tags(self, d: Delivery, info: ChannelInfo, options: KindOptions) -> ChannelInfo:
        """With ``create_tags`` and Manage Channels, the story's topics missing from the forum become tags."""
        wanted = missing_tags(info.tags, d.story.topics)
        if not (options.create_tags and wanted and info.can(MANAGE_CHANNELS)):
            return info
        available = [{"id": str(t.id), "name": t.name} for t in info.tags] + [{"name": n} for n in wanted]
        try:
            channel = await self._sink.edit_channel(d.channel_id, {"available_tags": available})
        except DeliveryError as exc:
            log.warning("Channel %s: could not create forum tags %s: %s", d.channel_id, ", ".join(wanted), exc.reason)
            return info
        log.info("Channel %s: created forum tags %s", d.channel_id, ", ".join(wanted))
        fresh = ChannelInfo.from_channel(channel, info.permissions)
        self._sink.remember(d.channel_id, fresh)
        return fresh

    async def _discussion(
        self,
        d: Delivery,
        message_id: int,
        options: KindOptions,
        nonce: str,
        *,
        retry_safe: bool,
        found: int | None = None,
    ) -> int | None:
        """A thread under the story, opened with its related coverage. After a plain message a failure is
        retried with the whole post (the nonce and 160004 make that safe); after a webhook message it is not,
        so the story stays posted without its thread. ``found``: adopting a post made before a crash (its
        thread's id, or 0 when it has none yet); the opener is then posted only if the thread lacks it."""
        try:
            name = thread_name(d.story.title)
            thread_id = found or await self._sink.start_thread(
                d.channel_id, message_id, name, options.auto_archive_duration
            )
            if found is None or not await self._search.opened(thread_id):
                opener_nonce = hashlib.sha256(f"{nonce}:thread".encode()).hexdigest()[:25]
                await self._sink.post(thread_id, discussion_opener(d.story), nonce=opener_nonce)
            return thread_id
        except DeliveryError as exc:
            if retry_safe:
                raise
            log.warning("Channel %s: no discussion thread for '%s': %s", d.channel_id, d.story.title, exc.reason)
            return None

    # -- webhooks -----------------------------------------------------------------------------------------

    async def _webhook(self, channel_id: int, info: ChannelInfo) -> Webhook | None:
        """The channel's Newsdesk webhook: remembered, found, or created once; None means normal messages."""
        if channel_id in self._hooks:
            return self._hooks[channel_id]
        hook = await self._db(self._webhooks.webhook_for, channel_id)
        if hook is None:
            hook = await self._find_or_create(channel_id, info)
        self._hooks[channel_id] = hook
        return hook

    async def _known_webhook(self, channel_id: int) -> Webhook | None:
        """The channel's webhook if one was made: adoption looks for its messages, and never creates one."""
        if channel_id in self._hooks:
            return self._hooks[channel_id]
        hook: Webhook | None = await self._db(self._webhooks.webhook_for, channel_id)
        return hook

    async def _find_or_create(self, channel_id: int, info: ChannelInfo) -> Webhook | None:
        if not info.can(MANAGE_WEBHOOKS):
            self._fall_back(channel_id, "missing Manage Webhooks")
            return None
        try:
            bot = str(self._bot_id())
            mine = [
                w
                for w in await self._sink.webhooks(channel_id)
                if w.get("name") == WEBHOOK_NAME and w.get("token") and (w.get("user") or {}).get("id") == bot
            ]
            data = mine[0] if mine else await self._sink.create_webhook(channel_id, WEBHOOK_NAME)
        except DeliveryError as exc:
            if exc.retryable:
                raise
            self._fall_back(channel_id, exc.reason)
            return None
        hook = (int(data["id"]), str(data["token"]))
        await self._db(self._webhooks.save_webhook, channel_id, *hook)
        log.info("Channel %s: %s webhook %s for provider posts", channel_id, "reusing" if mine else "created", hook[0])
        return hook

    def _fall_back(self, channel_id: int, reason: str) -> None:
        log.warning("Channel %s: webhook: true, but %s; posting normal messages", channel_id, reason)
        # Remembered per channel (``_hooks``), so one alert per run; the alerter throttles it hourly besides.
        self._spawn(self._alert(webhook_unavailable(channel_id, reason)))

    def _spawn(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("Channel kinds: background work failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, hook: Webhook, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._sink.execute_webhook(hook, payload)
        except DeliveryError as exc:
            if exc.status != 404:
                raise
            # Someone deleted the webhook: forget it, and the retry finds or creates another.
            await self._db(self._webhooks.forget_webhook, hook[0])
            self._hooks = {ch: h for ch, h in self._hooks.items() if h != hook}
            raise DeliveryError(f"the Newsdesk webhook was deleted ({exc.reason})", retryable=True) from None

    async def _hook_of(self, d: Delivery) -> Webhook:
        assert d.webhook_id is not None
        hook = await self._db(self._webhooks.webhook_by_id, d.webhook_id)
        if hook is None:
            raise DeliveryError(f"webhook {d.webhook_id} is gone", retryable=False, status=404, gone=True)
        return hook

    # -- edit and delete ----------------------------------------------------------------------------------

    async def edit(self, d: Delivery, payload: dict[str, Any]) -> None:
        assert d.message_id is not None
        info = await self._info(d.channel_id)
        in_post = info.kind is ChannelKind.FORUM  # the message is a forum post's starter message
        if d.webhook_id is not None:
            # The author (username, avatar) is set at creation; an edit changes only the message.
            thread = d.thread_id if in_post else None
            await self._sink.edit_webhook_message(await self._hook_of(d), d.message_id, payload, thread_id=thread)
        else:
            await self._sink.edit(d.thread_id if in_post and d.thread_id else d.channel_id, d.message_id, payload)
        if in_post and d.thread_id is not None:
            await self._update_post(d, info)

    async def _update_post(self, d: Delivery, info: ChannelInfo) -> None:
        """Rename the post and re-tag it only when that changed: Discord allows few renames per thread."""
        assert d.thread_id is not None
        thread = await self._sink.get_channel(d.thread_id)
        fields: dict[str, Any] = {}
        name = thread_name(d.story.title)
        if thread.get("name") != name:
            fields["name"] = name
        tags = [str(t) for t in matching_tags(info.tags, d.story.topics)]
        if sorted(str(t) for t in thread.get("applied_tags") or []) != sorted(tags):
            fields["applied_tags"] = tags
        if fields:
            await self._sink.edit_channel(d.thread_id, fields)

    async def delete(self, d: Delivery) -> None:
        assert d.message_id is not None
        info = await self._info(d.channel_id)
        if d.thread_id is not None:
            # A forum post goes with its thread; a discussion thread goes with its message.
            await _gone_is_fine(self._sink.delete_channel(d.thread_id))
            if info.kind is ChannelKind.FORUM:
                return
        if d.webhook_id is not None:
            await self._sink.delete_webhook_message(await self._hook_of(d), d.message_id)
        else:
            await self._sink.delete(d.channel_id, d.message_id)

    # -- crossposts ---------------------------------------------------------------------------------------

    def follow_up(self, d: Delivery, posted: Posted) -> None:
        if not posted.crosspost:
            return
        self._spawn(self._crosspost(d.story_id, d.channel_id, posted.placement.message_id, f"'{d.story.title}'"))

    async def resume_crossposts(self, channel_ids: Collection[int]) -> int:
        """At start-up: crossposts wanted and never answered (the process died before or during them) are done
        now, unless the message shows it was done. Returns how many were taken up."""
        due = await self._db(self._webhooks.crossposts_due, list(channel_ids))
        for story_id, channel_id, message_id in due:
            self._spawn(self._crosspost(story_id, channel_id, message_id, f"message {message_id}", check=True))
        if due:
            log.info("Resuming %d crossposts left unfinished by the last run", len(due))
        return len(due)

    async def _crosspost(
        self, story_id: int, channel_id: int, message_id: int, what: str, *, check: bool = False
    ) -> None:
        error: str | None = None
        try:
            if check and is_crossposted(await self._sink.get_message(channel_id, message_id)):
                log.info("Channel %s: %s was published before the restart", channel_id, what)
            else:
                await self._sink.crosspost(channel_id, message_id)
                log.info("Channel %s: published %s to following servers", channel_id, what)
        except DeliveryError as exc:
            error = f"{CROSSPOST_LIMITED}: {exc.reason}" if exc.status == 429 else exc.reason
            log.warning("Channel %s: %s stays unpublished: %s", channel_id, what, error)
        await self._db(self._webhooks.record_crosspost, story_id, channel_id, error)

    async def drain(self) -> None:
        """Wait for the crossposts and alerts under way (tests)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _crossposts(info: ChannelInfo, options: KindOptions) -> bool:
    return options.publish and info.kind is ChannelKind.ANNOUNCEMENT


async def _gone_is_fine(work: Awaitable[None]) -> None:
    try:
        await work
    except DeliveryError as exc:
        if not exc.gone:
            raise
