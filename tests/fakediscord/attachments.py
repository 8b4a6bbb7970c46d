"""Files in multipart requests, as Discord reads them: ``payload_json`` names each file in ``attachments[]`` by
the index of its ``files[n]`` part (a message body's own list, or an interaction callback's ``data``)."""

from __future__ import annotations

from typing import Any

from .store import FakeState


class FileFormError(ValueError):
    """An ``attachments[]`` entry with no ``files[n]`` part: Discord answers 400 Invalid Form Body (50035)."""


def attach(state: FakeState, body: Any, files: list[dict[str, Any]]) -> Any:
    """``body`` with its ``attachments[]`` completed as Discord returns them (id, filename, size, content_type,
    url, width and height of a PNG). A file part the payload does not name is attached under its own name."""
    if not isinstance(body, dict):
        return body
    target = body["data"] if isinstance(body.get("data"), dict) and "type" in body else body
    by_index = {f["name"]: f for f in files}
    listed = target.get("attachments") or []
    named: list[dict[str, Any]] = []
    for item in listed:
        part = by_index.pop(f"files[{item.get('id')}]", None)
        if part is None:
            if int(item.get("id") or 0) < 1 << 22:  # an upload's index, not a kept attachment's snowflake
                raise FileFormError(f"attachments: no file part files[{item.get('id')}]")
            named.append(item)  # an attachment kept from an earlier version of the message
            continue
        named.append(_attachment(state, {**part, "filename": item.get("filename") or part["filename"]}))
    named += [_attachment(state, part) for part in by_index.values()]
    if named or listed:
        target["attachments"] = named
    return body


def _attachment(state: FakeState, part: dict[str, Any]) -> dict[str, Any]:
    data: bytes = part["data"]
    found: dict[str, Any] = {
        "id": str(state.snowflakes.next()),
        "filename": part["filename"],
        "size": len(data),
        "content_type": part.get("content_type"),
        "url": f"https://cdn.example.invalid/{part['filename']}",
        "proxy_url": f"https://media.example.invalid/{part['filename']}",
    }
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        found["width"] = int.from_bytes(data[16:20], "big")
        found["height"] = int.from_bytes(data[20:24], "big")
    return found
