"""JSON responses the way Discord sends them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

try:  # request storage keys (aiohttp >= 3.13 warns about plain string keys)
    BODY: Any = web.RequestKey("fakediscord_body", object)
    FILES: Any = web.RequestKey("fakediscord_files", list)
except AttributeError:  # pragma: no cover - older aiohttp
    BODY, FILES = "fakediscord_body", "fakediscord_files"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly: discord.py ignores bodies with a charset.

    ``data=None`` gives an empty body (use with 204).
    """
    if data is None:
        return web.Response(status=status, headers=headers)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)
