"""Validation of message payloads against Discord's limits.

Errors come back the way Discord reports them: HTTP 400 with
``{"code": 50035, "message": "Invalid Form Body", "errors": {<path>: {"_errors": [...]}}}``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
ROWS_MAX = 5
BUTTONS_PER_ROW = 5
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
SELECT_TYPES = {3, 5, 6, 7, 8}
IS_COMPONENTS_V2 = 1 << 15

Path = tuple[str | int, ...]


class FormErrors:
    """Collects errors in Discord's nested ``errors`` shape."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.errors)

    def body(self) -> dict[str, Any]:
        return {"code": 50035, "message": "Invalid Form Body", "errors": self.errors}


def is_valid_url(value: Any, *, allow_attachment: bool = False) -> bool:
    """A well-formed http(s) URL with a host (``attachment://x`` allowed for images)."""
    if not isinstance(value, str) or not value or len(value) > 2048 or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return False
    if allow_attachment and parts.scheme == "attachment":
        return bool(parts.netloc)
    return parts.scheme in ("http", "https") and bool(host)


def _check_url(errs: FormErrors, path: Path, value: Any, *, image: bool = False) -> None:
    if not is_valid_url(value, allow_attachment=image):
        errs.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def _check_str(errs: FormErrors, path: Path, value: Any, limit: int, *, required: bool = False) -> int:
    """Check a string field; returns its length (0 if absent or invalid)."""
    if value is None or value == "":
        if required:
            errs.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return 0
    if not isinstance(value, str):
        errs.add(path, "BASE_TYPE_STRING", "Must be a string.")
        return 0
    if len(value) > limit:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return len(value)


def _check_embed(errs: FormErrors, path: Path, embed: Any) -> int:
    """Validate one embed; returns the characters it counts towards the 6,000 total."""
    if not isinstance(embed, dict):
        errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return 0
    total = _check_str(errs, (*path, "title"), embed.get("title"), TITLE_MAX)
    total += _check_str(errs, (*path, "description"), embed.get("description"), DESCRIPTION_MAX)
    if embed.get("url") is not None:
        _check_url(errs, (*path, "url"), embed["url"])
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or isinstance(color, bool) or not 0 <= color <= 0xFFFFFF):
        errs.add((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.")
    stamp = embed.get("timestamp")
    if stamp is not None:
        try:
            dt.datetime.fromisoformat(str(stamp))
        except ValueError:
            errs.add((*path, "timestamp"), "DATE_TYPE_PARSE", "Could not parse timestamp.")
    footer = embed.get("footer")
    if isinstance(footer, dict):
        total += _check_str(errs, (*path, "footer", "text"), footer.get("text"), FOOTER_MAX, required=True)
        if footer.get("icon_url") is not None:
            _check_url(errs, (*path, "footer", "icon_url"), footer["icon_url"], image=True)
    author = embed.get("author")
    if isinstance(author, dict):
        total += _check_str(errs, (*path, "author", "name"), author.get("name"), AUTHOR_MAX, required=True)
        if author.get("url") is not None:
            _check_url(errs, (*path, "author", "url"), author["url"])
        if author.get("icon_url") is not None:
            _check_url(errs, (*path, "author", "icon_url"), author["icon_url"], image=True)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if media is not None:
            _check_url(errs, (*path, key, "url"), media.get("url") if isinstance(media, dict) else None, image=True)
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_MAX:
        errs.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {FIELDS_MAX} or fewer in length.")
    for i, fld in enumerate(fields):
        fld = fld if isinstance(fld, dict) else {}
        total += _check_str(errs, (*path, "fields", i, "name"), fld.get("name"), FIELD_NAME_MAX, required=True)
        total += _check_str(errs, (*path, "fields", i, "value"), fld.get("value"), FIELD_VALUE_MAX, required=True)
    return total


def _check_button(errs: FormErrors, path: Path, button: dict[str, Any], custom_ids: set[str]) -> None:
    style = button.get("style")
    if style not in (1, 2, 3, 4, 5, 6):
        errs.add((*path, "style"), "BASE_TYPE_CHOICES", f"Value must be one of {{1, 2, 3, 4, 5, 6}}, got {style}.")
        return
    _check_str(errs, (*path, "label"), button.get("label"), BUTTON_LABEL_MAX)
    if style != 6 and not button.get("label") and not button.get("emoji"):
        errs.add(path, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or emoji is required.")
    if style == 5:
        if button.get("custom_id") is not None:
            errs.add(
                (*path, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "Link buttons cannot have a custom_id."
            )
        if button.get("url") is None:
            errs.add((*path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required.")
        else:
            _check_url(errs, (*path, "url"), button["url"])
    elif style != 6:
        _check_custom_id(errs, path, button.get("custom_id"), custom_ids)


def _check_custom_id(errs: FormErrors, path: Path, custom_id: Any, seen: set[str]) -> None:
    _check_str(errs, (*path, "custom_id"), custom_id, CUSTOM_ID_MAX, required=True)
    if isinstance(custom_id, str) and custom_id:
        if custom_id in seen:
            errs.add((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
        seen.add(custom_id)


def _check_select(errs: FormErrors, path: Path, select: dict[str, Any], custom_ids: set[str]) -> None:
    _check_custom_id(errs, path, select.get("custom_id"), custom_ids)
    _check_str(errs, (*path, "placeholder"), select.get("placeholder"), 150)
    if select.get("type") == 3:
        options = select.get("options") or []
        if not 1 <= len(options) <= 25:
            errs.add((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
        values: set[Any] = set()
        for i, opt in enumerate(options):
            opt = opt if isinstance(opt, dict) else {}
            _check_str(errs, (*path, "options", i, "label"), opt.get("label"), 100, required=True)
            _check_str(errs, (*path, "options", i, "value"), opt.get("value"), 100, required=True)
            _check_str(errs, (*path, "options", i, "description"), opt.get("description"), 100)
            if opt.get("value") in values:
                errs.add(
                    (*path, "options", i, "value"),
                    "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                    "Select component option values must be unique",
                )
            values.add(opt.get("value"))


def _check_components(errs: FormErrors, components: Any, flags: int) -> None:
    if not isinstance(components, list):
        errs.add(("components",), "BASE_TYPE_LIST", "Must be a list.")
        return
    if flags & IS_COMPONENTS_V2:
        return  # Components V2 layouts are accepted without further checks.
    if len(components) > ROWS_MAX:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", f"Must be {ROWS_MAX} or fewer in length.")
    custom_ids: set[str] = set()
    for r, row in enumerate(components):
        path: Path = ("components", r)
        if not isinstance(row, dict) or row.get("type") != 1:
            errs.add((*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
            continue
        children = row.get("components") or []
        if not children:
            errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        if len(children) > BUTTONS_PER_ROW:
            errs.add((*path, "components"), "BASE_TYPE_MAX_LENGTH", f"Must be {BUTTONS_PER_ROW} or fewer in length.")
        for c, child in enumerate(children):
            cpath: Path = (*path, "components", c)
            kind = child.get("type") if isinstance(child, dict) else None
            if kind == 2:
                _check_button(errs, cpath, child, custom_ids)
            elif kind in SELECT_TYPES:
                if len(children) > 1:
                    errs.add(
                        cpath, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
                    )
                _check_select(errs, cpath, child, custom_ids)
            else:
                errs.add(
                    (*cpath, "type"), "UNION_TYPE_CHOICES", f'Value of field "type" must be a component, got {kind}.'
                )


def _check_allowed_mentions(errs: FormErrors, am: Any) -> None:
    if not isinstance(am, dict):
        errs.add(("allowed_mentions",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    parse = am.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("roles", "users", "everyone"):
            errs.add(
                ("allowed_mentions", "parse", i), "BASE_TYPE_CHOICES", "Value must be one of roles, users, everyone."
            )
    for kind in ("users", "roles"):
        ids = am.get(kind) or []
        if ids and kind in parse:
            errs.add(
                ("allowed_mentions",),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        if len(ids) > 100:
            errs.add(("allowed_mentions", kind), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")


def validate_message(payload: Any, *, partial: bool = False) -> tuple[int, dict[str, Any]] | None:
    """Validate a create (or, with ``partial``, an edit) payload; returns ``(status, body)`` on error."""
    if not isinstance(payload, dict):
        return 400, {"code": 50109, "message": "The request body contains invalid JSON."}
    errs = FormErrors()
    content = payload.get("content")
    _check_str(errs, ("content",), content, CONTENT_MAX)
    flags = payload.get("flags") or 0
    flags = flags if isinstance(flags, int) else 0
    embeds = payload.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            errs.add(("embeds",), "BASE_TYPE_LIST", "Must be a list.")
            embeds = []
        if len(embeds) > EMBEDS_MAX:
            errs.add(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
        total = sum(_check_embed(errs, ("embeds", i), e) for i, e in enumerate(embeds))
        if total > EMBED_TOTAL_MAX:
            errs.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")
    if payload.get("components") is not None:
        _check_components(errs, payload["components"], flags)
    if payload.get("allowed_mentions") is not None:
        _check_allowed_mentions(errs, payload["allowed_mentions"])
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        errs.add(("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    if errs:
        log.debug("rejecting message payload: %s", errs.errors)
        return 400, errs.body()
    has_body = any(payload.get(k) for k in ("content", "embeds", "components", "sticker_ids", "attachments", "poll"))
    if not partial and not has_body:
        return 400, {"code": 50006, "message": "Cannot send an empty message"}
    return None
