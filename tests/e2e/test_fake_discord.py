"""A real discord.py 2.7.1 client against the fake Discord server (tests/fakediscord)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import discord
import pytest
import yarl
from discord import app_commands
from discord.http import Route

from tests.fakediscord import DEFAULT_GUILD_ID, DEFAULT_ROLE_ID, FakeDiscord, validate_message

pytestmark = pytest.mark.e2e

T = TypeVar("T")
NEWS, AI, SCIENCE, ALERTS, GENERAL = (200000000000000001 + i for i in range(5))
INTENTS = discord.Intents.default()
INTENTS.members = True  # exercises REQUEST_GUILD_MEMBERS / GUILD_MEMBERS_CHUNK at start-up


class ClientThread:
    """A discord.py client running on its own event loop in a background thread."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.client: discord.Client | None = None
        self.tree: app_commands.CommandTree[discord.Client] | None = None
        self.ready_snapshot: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="discord-client", daemon=True)

    def _build(self) -> discord.Client:
        client = discord.Client(intents=INTENTS, guild_ready_timeout=0.2)
        tree = app_commands.CommandTree(client)

        @tree.command(name="ping", description="Check that the bot answers")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @tree.command(name="slow", description="Defer, then follow up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done")

        @client.event
        async def on_ready() -> None:
            guild = client.get_guild(DEFAULT_GUILD_ID)
            role = guild.get_role(DEFAULT_ROLE_ID) if guild else None
            self.ready_snapshot = {
                "guild": guild.name if guild else None,
                "channels": sorted(c.name for c in guild.text_channels) if guild else [],
                "default_role_ok": bool(guild and guild.default_role.id == guild.id),
                "ai_fans": role.name if role else None,
                "me": guild.me.id if guild and guild.me else None,
            }
            self.ready.set()

        self.tree = tree
        return client

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.client = self._build()
        try:
            self.loop.run_until_complete(self.client.start(self.token))
        except BaseException as exc:
            self.error = exc
            self.ready.set()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(15), "discord.py client never became ready"
        assert self.error is None, f"client failed: {self.error!r}"

    def run(self, factory: Callable[[], Awaitable[T]], timeout: float = 15.0) -> T:
        async def wrapper() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.client is not None and not self.loop.is_closed():
            # Not waiting on the future: client.start() returns as soon as close() is done, the loop stops,
            # and the future's result would never be delivered.
            asyncio.run_coroutine_threadsafe(self.client.close(), self.loop)
        self.thread.join(10)
        assert not self.thread.is_alive(), "discord.py client thread did not stop"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDiscord]:
    with FakeDiscord(channel_rate=(5, 1.0)) as server:
        yield server


@pytest.fixture(scope="module")
def bot(fake: FakeDiscord) -> Iterator[ClientThread]:
    old_base, old_gateway = Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    runner = ClientThread(fake.token)
    try:
        runner.start()
        yield runner
    finally:
        runner.stop()
        Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


@pytest.fixture(autouse=True)
def clean(fake: FakeDiscord) -> None:
    fake.reset()


def post(bot: ClientThread, channel_id: int, payload: dict[str, Any]) -> Any:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    assert bot.client is not None
    http = bot.client.http
    return bot.run(lambda: http.request(route, json=payload))


def test_login_gateway_and_ready(fake: FakeDiscord, bot: ClientThread) -> None:
    assert bot.ready_snapshot == {
        "guild": "Newsroom",
        "channels": ["ai", "alerts", "general", "news", "science"],
        "default_role_ok": True,
        "ai_fans": "AI fans",
        "me": fake.bot_id,
    }
    assert fake.identify_count == 1
    identify = fake.identify_payloads[0]
    assert identify["intents"] == INTENTS.value and identify["token"] == fake.token
    # discord.py asks for zlib-stream; the fake answers with plain TEXT frames and that is fine.
    assert fake.gateway_queries[0]["compress"] == "zlib-stream"


def test_post_is_recorded_and_high_level_api_round_trips(fake: FakeDiscord, bot: ClientThread) -> None:
    data = post(bot, NEWS, {"content": "hello", "allowed_mentions": {"parse": []}})
    [recorded] = fake.messages(NEWS)
    assert recorded["id"] == data["id"] and recorded["content"] == "hello" and recorded["pinged"] == []
    assert bot.client is not None
    channel = bot.client.get_channel(NEWS)
    assert isinstance(channel, discord.TextChannel)

    async def send_edit_delete() -> discord.Message:
        message = await channel.send("@everyone big news", allowed_mentions=discord.AllowedMentions.none())
        await message.edit(content="edited")
        await message.delete()
        return message

    message = bot.run(send_edit_delete)
    [record] = [m for m in fake.messages(NEWS, include_deleted=True) if m["id"] == str(message.id)]
    assert record["deleted"] and record["content"] == "edited" and record["pinged"] == []
    assert record["edits"][0]["before"]["content"] == "@everyone big news"
    pinging = post(bot, NEWS, {"content": "@everyone <@&300000000000000001>"})  # no allowed_mentions
    assert pinging["mention_everyone"] and fake.messages(NEWS)[-1]["pinged"] == ["@everyone", f"<@&{DEFAULT_ROLE_ID}>"]


def test_embed_over_limit_is_rejected(fake: FakeDiscord, bot: ClientThread) -> None:
    with pytest.raises(discord.HTTPException) as info:
        post(bot, AI, {"embeds": [{"title": "t" * 257}]})
    assert info.value.status == 400 and info.value.code == 50035
    with pytest.raises(discord.HTTPException) as info:
        post(bot, AI, {"embeds": [{"image": {"url": "not a url"}}]})
    assert info.value.status == 400
    assert fake.messages(AI) == []


def _button(**kw: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": "go", **kw}


def _select(values: list[str], **kw: Any) -> dict[str, Any]:
    return {"type": 3, "custom_id": "pick", "options": [{"label": v, "value": v} for v in values], **kw}


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"content": "x" * 2000}, True),
        ({"content": "x" * 2001}, False),
        ({"embeds": [{"title": "t"}] * 10}, True),
        ({"embeds": [{"title": "t"}] * 11}, False),
        ({"embeds": [{"description": "d" * 4097}]}, False),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, False),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, False),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, False),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, False),
        ({"embeds": [{"description": "d" * 4000, "fields": [{"name": "n", "value": "v" * 1000}] * 2}]}, False),
        ({"embeds": [{"title": "t", "url": "ftp://example.com"}]}, False),
        ({"embeds": [{"title": "t", "thumbnail": {"url": "https://"}}]}, False),
        ({"embeds": [{"title": "t", "author": {"name": "a", "url": "example.com/x"}}]}, False),
        ({"components": [{"type": 1, "components": [_button(custom_id=f"b{i}") for i in range(5)]}]}, True),
        ({"components": [{"type": 1, "components": [_button(custom_id=f"b{i}") for i in range(6)]}]}, False),
        ({"components": [{"type": 1, "components": [_button(custom_id=f"r{i}")]} for i in range(6)]}, False),
        ({"components": [{"type": 1, "components": [_button(label="l" * 81)]}]}, False),
        ({"components": [{"type": 1, "components": [{"type": 2, "style": 5, "label": "Read"}]}]}, False),
        (
            {
                "components": [
                    {"type": 1, "components": [{"type": 2, "style": 5, "label": "R", "url": "https://x.org"}]}
                ]
            },
            True,
        ),
        ({"components": [{"type": 1, "components": [_select(["a", "b"])]}]}, True),
        ({"components": [{"type": 1, "components": [_select([f"t{i}" for i in range(25)])]}]}, True),
        ({"components": [{"type": 1, "components": [_select([f"t{i}" for i in range(26)])]}]}, False),
        ({"components": [{"type": 1, "components": [_select([])]}]}, False),
        ({"components": [{"type": 1, "components": [_select(["v" * 101])]}]}, False),
        ({"components": [{"type": 1, "components": [_select(["a", "a"])]}]}, False),
        ({"components": [{"type": 1, "components": [_select(["a"], custom_id="c" * 101)]}]}, False),
        ({"components": [{"type": 1, "components": [_select(["a"], placeholder="p" * 151)]}]}, False),
        ({"components": [{"type": 1, "components": [_select(["a"]), _button()]}]}, False),
        ({}, False),
    ],
)
def test_limits(payload: dict[str, Any], ok: bool) -> None:
    result = validate_message(payload)
    assert (result is None) == ok, result
    if result is not None:
        assert result[0] == 400 and result[1]["code"] in (50035, 50006)


def test_bad_token_is_login_failure(fake: FakeDiscord, bot: ClientThread) -> None:
    async def login() -> None:
        client = discord.Client(intents=INTENTS)
        try:
            await client.login("wrong-token")
        finally:
            await client.close()

    with pytest.raises(discord.LoginFailure):
        asyncio.run(login())


def test_enforce_nonce_creates_one_message(fake: FakeDiscord, bot: ClientThread) -> None:
    payload = {"content": "once", "nonce": "story-42", "enforce_nonce": True}
    first, second = post(bot, SCIENCE, payload), post(bot, SCIENCE, payload)
    assert first["id"] == second["id"]
    assert len(fake.messages(SCIENCE)) == 1


def test_injected_429_is_retried_transparently(fake: FakeDiscord, bot: ClientThread) -> None:
    fake.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=0.2)
    post(bot, SCIENCE, {"content": "after a 429"})
    assert [m["content"] for m in fake.messages(SCIENCE)] == ["after a 429"]
    assert fake.count_429 == 1


def test_injected_500_is_retried_transparently(fake: FakeDiscord, bot: ClientThread) -> None:
    fake.fail_next("POST", r"/messages$", 500)
    post(bot, SCIENCE, {"content": "after a 500"})
    assert [m["content"] for m in fake.messages(SCIENCE)] == ["after a 500"]
    assert [r["status"] for r in fake.requests_to("POST", "/messages$")] == [500, 200]


def test_forbidden_raises(fake: FakeDiscord, bot: ClientThread) -> None:
    fake.forbid_channel(ALERTS)
    with pytest.raises(discord.Forbidden) as info:
        post(bot, ALERTS, {"content": "nope"})
    assert info.value.code == 50013
    fake.allow_channel(ALERTS)
    fake.fail_next("POST", "/messages", 403)
    with pytest.raises(discord.Forbidden):
        post(bot, ALERTS, {"content": "nope again"})
    post(bot, ALERTS, {"content": "allowed"})
    assert [m["content"] for m in fake.messages(ALERTS)] == ["allowed"]


def test_rate_limit_headers_are_honoured(fake: FakeDiscord, bot: ClientThread) -> None:
    started = time.monotonic()
    for i in range(7):
        post(bot, GENERAL, {"content": f"burst {i}"})
    assert fake.count_429 == 0
    assert len(fake.messages(GENERAL)) == 7
    assert time.monotonic() - started > 0.5  # discord.py slept on Remaining: 0


def test_interaction_round_trip(fake: FakeDiscord, bot: ClientThread) -> None:
    assert bot.tree is not None
    tree = bot.tree
    synced = bot.run(lambda: tree.sync())
    assert {c.name for c in synced} == {"ping", "slow"}
    assert {c["name"] for c in fake.commands()} == {"ping", "slow"}

    sent = fake.send_interaction(name="ping", channel_id=NEWS)
    callback = fake.wait_for(lambda: fake.callback_for(sent.id))
    assert callback["type"] == 4 and callback["status"] == 200 and callback["data"]["content"] == "pong"
    assert fake.interaction_payload(sent.id)["data"]["id"] == fake.commands()[0]["id"]

    slow = fake.send_interaction(name="slow", channel_id=NEWS)
    fake.wait_for(lambda: [m for m in fake.messages(NEWS) if m["content"] == "done"])
    deferred = fake.callback_for(slow.id)
    assert deferred is not None and deferred["type"] == 5


def test_reconnect_resumes(fake: FakeDiscord, bot: ClientThread) -> None:
    assert fake.reconnect() == 1
    fake.wait_for(lambda: fake.resume_count == 1 and fake.connected_sessions == 1)
    assert fake.identify_count == 1
    post(bot, NEWS, {"content": "still alive"})
