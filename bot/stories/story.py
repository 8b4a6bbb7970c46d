"""The story model: a typed, validated view of one story file's front matter."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class StoryError(ValueError):
    """A story file that cannot be used. ``str()`` names the file and, where known, the field."""

    def __init__(self, path: str, reason: str, field: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.field = field
        super().__init__(f"{path}: {field}: {reason}" if field else f"{path}: {reason}")


@dataclass(frozen=True, slots=True)
class Secured:
    """Opaque encrypted content. Its repr and str never show the value, so it cannot leak into logs."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secured(<redacted>)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    domain: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int | None = None
    height: int | None = None
    title: str = ""

    @property
    def area(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass(frozen=True, slots=True)
class RelatedStory:
    title: str
    web_url: str = ""
    excerpt: str = ""
    published_at: datetime | None = None
    provider: Provider | None = None
    quality: int | None = None
    images: tuple[Image, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """One story. ``key`` is its identity: the canonical ``webUrl`` or, without one, ``file:<relative path>``."""

    key: str
    title: str
    excerpt: str = ""
    web_url: str = ""
    published_at: datetime | None = None
    provider: Provider | None = None
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    related: tuple[RelatedStory, ...] = ()
    quality: int | None = None
    heat: int | None = None
    published: bool = False
    category: str = ""
    kind: str = ""
    body: str = ""
    secured: Secured | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of everything but ``secured``, for the store."""
        return {
            "key": self.key,
            "title": self.title,
            "excerpt": self.excerpt,
            "web_url": self.web_url,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "provider": _provider_dict(self.provider),
            "topics": list(self.topics),
            "images": [_image_dict(i) for i in self.images],
            "related": [
                {
                    "title": r.title,
                    "web_url": r.web_url,
                    "excerpt": r.excerpt,
                    "published_at": r.published_at.isoformat() if r.published_at else None,
                    "provider": _provider_dict(r.provider),
                    "quality": r.quality,
                    "images": [_image_dict(i) for i in r.images],
                }
                for r in self.related
            ],
            "quality": self.quality,
            "heat": self.heat,
            "published": self.published,
            "category": self.category,
            "kind": self.kind,
            "body": self.body,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Story:
        return cls(
            key=data["key"],
            title=data["title"],
            excerpt=data.get("excerpt", ""),
            web_url=data.get("web_url", ""),
            published_at=_parse_iso(data.get("published_at")),
            provider=_provider_from(data.get("provider")),
            topics=tuple(data.get("topics", ())),
            images=tuple(Image(**i) for i in data.get("images", ())),
            related=tuple(
                RelatedStory(
                    title=r["title"],
                    web_url=r.get("web_url", ""),
                    excerpt=r.get("excerpt", ""),
                    published_at=_parse_iso(r.get("published_at")),
                    provider=_provider_from(r.get("provider")),
                    quality=r.get("quality"),
                    images=tuple(Image(**i) for i in r.get("images", ())),
                )
                for r in data.get("related", ())
            ),
            quality=data.get("quality"),
            heat=data.get("heat"),
            published=bool(data.get("published", False)),
            category=data.get("category", ""),
            kind=data.get("kind", ""),
            body=data.get("body", ""),
        )

    def fingerprint(self) -> str:
        """A hash of everything except ``secured``: two parses of the same story give the same value."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


def canonical_url(url: str) -> str:
    """Normalise a URL so trivially different spellings of one story share an id.

    Lower-cases scheme and host, drops default ports, fragments, ``utm_*`` tracking parameters and a
    trailing slash. The path's case is kept: servers may treat it as significant.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port  # raises ValueError for a malformed or out-of-range port
    if port == {"http": 80, "https": 443}.get(scheme):
        port = None
    netloc = f"{host}:{port}" if port else host
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith(("utm_", "fbclid=", "gclid=")))
    path = parts.path.rstrip("/") or ""
    return urlunsplit((scheme, netloc, path, query, ""))


def _provider_dict(provider: Provider | None) -> dict[str, str] | None:
    return {"name": provider.name, "domain": provider.domain} if provider else None


def _provider_from(data: dict[str, str] | None) -> Provider | None:
    return Provider(data["name"], data.get("domain", "")) if data else None


def _image_dict(image: Image) -> dict[str, Any]:
    return {"url": image.url, "width": image.width, "height": image.height, "title": image.title}


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
