"""A fake origin for the local CDN (feedpub_cli.local.edge): the site bucket's objects by path,
answering GETs (conditional ones with 304) as S3 does."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import UTC, datetime
from email.utils import format_datetime

from feedpub.config import SiteConfig
from feedpub_cli.local.edge import OriginResponse

DEFAULT_CACHE_CONTROL = str(next(f.default for f in fields(SiteConfig) if f.name == "cache_control"))
"""What every feed object carries unless the operator changes it."""
CACHED_30 = "public, max-age=30"
LINK = '<http://127.0.0.1:9/>; rel="hub", <http://127.0.0.1:8080/feeds/rss.xml>; rel="self"'
MODIFIED = format_datetime(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), usegmt=True)


class FakeOrigin:
    """The site bucket: objects by path, answering GETs (conditional ones with 304) as S3 does."""

    def __init__(self) -> None:
        self.objects: dict[str, OriginResponse] = {}
        self.requests: list[tuple[str, str | None]] = []
        """(path, If-None-Match) of every request the edge made."""

    def put(self, path: str, body: bytes, cache_control: str = CACHED_30, link: str = LINK) -> str:
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        headers = {
            "Content-Type": "application/rss+xml; charset=utf-8",
            "ETag": etag,
            "Last-Modified": MODIFIED,
            "Cache-Control": cache_control,
            "x-amz-meta-link": link,
        }
        self.objects[path] = OriginResponse(200, headers, body)
        return etag

    def __call__(self, path: str, if_none_match: str | None) -> OriginResponse:
        self.requests.append((path, if_none_match))
        stored = self.objects.get(path)
        if stored is None:
            return OriginResponse(404, {})
        if if_none_match == stored.headers["ETag"]:
            return OriginResponse(304, {"ETag": stored.headers["ETag"]})
        return stored
