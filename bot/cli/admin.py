"""``newsdesk invite | backup``: deployment helpers that need no running bot."""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import sqlite3
import sys
from contextlib import closing, suppress
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import aiohttp
import discord

from bot.cli.data import sqlite_file
from bot.config import Config
from bot.private_files import open_private_file
from bot.redact import mask_password

SCOPES = ("bot", "applications.commands")


class Permission(NamedTuple):
    flag: str  # the discord.Permissions attribute
    name: str  # as Discord's UI shows it
    why: str


REQUIRED = (
    Permission("view_channel", "View Channel", "see the channels it posts to"),
    Permission("send_messages", "Send Messages", "post stories, digests and alerts"),
    Permission("embed_links", "Embed Links", "stories are posted as rich embeds"),
    Permission("read_message_history", "Read Message History", "find its earlier posts to edit or delete them"),
    Permission("manage_roles", "Manage Roles", "/subscribe and /unsubscribe give members a topic's role"),
)
THREADS = (
    Permission("create_public_threads", "Create Public Threads", "open a thread or forum post per story"),
    Permission("send_messages_in_threads", "Send Messages in Threads", "post inside those threads"),
    Permission("manage_threads", "Manage Threads", "rename or delete a story's thread when it changes"),
)
WEBHOOKS = (Permission("manage_webhooks", "Manage Webhooks", "post through a channel webhook"),)


def permissions_for(threads: bool, webhooks: bool) -> tuple[Permission, ...]:
    return REQUIRED + (THREADS if threads else ()) + (WEBHOOKS if webhooks else ())


def invite_url(application_id: int, permissions: tuple[Permission, ...]) -> str:
    value = discord.Permissions(**{p.flag: True for p in permissions}).value
    query = urlencode({"client_id": application_id, "scope": " ".join(SCOPES), "permissions": value})
    return f"https://discord.com/oauth2/authorize?{query}"


def user_install_url(application_id: int) -> str:
    """The link a member opens to add the app to their own account (its commands in their DMs, no bot user)."""
    query = urlencode({"client_id": application_id, "integration_type": 1, "scope": "applications.commands"})
    return f"https://discord.com/oauth2/authorize?{query}"


USER_INSTALL_SETTING = (
    "Members can use it only once User Install is ticked in the Developer Portal "
    "(your application → Installation → Installation Contexts)."
)


def invite(config: Config, token: str, *, threads: bool, webhooks: bool, user: bool = False) -> int:
    """Print the invite URL for the token's application, and what each permission is for; with ``user``, the
    link that adds the app to a member's own account instead."""
    if not token:
        print("newsdesk: invite needs DISCORD_TOKEN (environment or .env) to know the application", file=sys.stderr)
        return 2
    try:
        application_id = asyncio.run(_fetch_application_id(config.discord.api_base, token))
    except PermissionError:
        print("newsdesk: Discord refused the token in DISCORD_TOKEN", file=sys.stderr)
        return 2
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
        # Offline: a bot token's first segment is the bot user's id in base64, which is the application's id.
        from_token = application_id_from_token(token)
        if from_token is None:
            print(
                f"newsdesk: could not ask Discord at {config.discord.api_base} for the application "
                f"({type(exc).__name__}: {exc}), and DISCORD_TOKEN does not carry its id",
                file=sys.stderr,
            )
            return 2
        print(
            f"newsdesk: Discord unreachable ({type(exc).__name__}); application id read from the token", file=sys.stderr
        )
        application_id = from_token
    if user:
        print(user_install_url(application_id))
        print(f"\n{USER_INSTALL_SETTING}")
        return 0
    permissions = permissions_for(threads, webhooks)
    print(invite_url(application_id, permissions))
    print(f"\nScopes: {', '.join(SCOPES)} (the bot user, and its slash commands). No privileged intents are needed.")
    print("Permissions:")
    for p in permissions:
        print(f"  {p.name:<26} {p.why}")
    return 0


async def _fetch_application_id(api_base: str, token: str) -> int:
    timeout = aiohttp.ClientTimeout(total=10)
    headers = {"Authorization": f"Bot {token}"}
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{api_base}/oauth2/applications/@me", headers=headers) as response,
    ):
        if response.status == 401:
            raise PermissionError("401")
        response.raise_for_status()
        data = await response.json(content_type=None)
        return int(data["id"])


def application_id_from_token(token: str) -> int | None:
    first = token.split(".", 1)[0]
    try:
        text = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text) if text.isdigit() else None


def backup(config: Config, destination: Path, *, force: bool) -> int:
    """Copy the live database with SQLite's online backup API: consistent even while the bot writes."""
    source = sqlite_file(config.storage_url)
    if source is None:
        print(
            f"newsdesk: backup copies a SQLite file; storage.url is {mask_password(config.storage_url)!r}",
            file=sys.stderr,
        )
        return 2
    if not source.is_file():
        print(f"newsdesk: backup: no database at {source} (storage.url)", file=sys.stderr)
        return 2
    if destination.is_dir():
        print(
            f"newsdesk: backup: {destination} is a folder; name the backup file, e.g. {destination}/newsdesk.db",
            file=sys.stderr,
        )
        return 2
    if destination.exists() and not force:
        print(f"newsdesk: backup: {destination} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    if not destination.parent.is_dir():
        print(f"newsdesk: backup: no folder {destination.parent} to write {destination.name} in", file=sys.stderr)
        return 2
    # Written beside the target and renamed into place, so a failed backup never leaves a half file under its name.
    partial = destination.with_name(f".{destination.name}.part")
    try:
        # Private from its first byte, like the database it copies (webhook tokens in clear).
        open_private_file(partial)
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
        os.replace(partial, destination)
    except (sqlite3.Error, OSError) as exc:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"newsdesk: backup of {source} to {destination} failed: {reason}", file=sys.stderr)
        return 2
    print(f"Backed up {source} to {destination} ({destination.stat().st_size} bytes)")
    return 0
