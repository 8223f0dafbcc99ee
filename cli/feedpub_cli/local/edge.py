"""The local stand-in for CloudFront's cache: a shared cache in front of the site bucket.

It keeps what CloudFront keeps and for as long: the TTL is the object's Cache-Control (s-maxage,
else max-age, else the policy's DefaultTTL) clamped to the cache policy's MinTTL and MaxTTL, and
stale-while-revalidate lets a copy past its TTL be served while it is refreshed in the background.
An expired copy is revalidated with a conditional GET (If-None-Match), so the stale-fetch race a
WebSub hub can lose (fetching right after a ping and getting the copy the edge kept) happens on a
laptop exactly when it would on AWS, and the default `s-maxage=0` can be seen to prevent it.

Differences from CloudFront, on purpose: one edge location; errors (404) are not cached, so a
feed appears the moment it is first written; an invalidation takes effect at once.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any, Literal

from feedpub.cache_control import directives, shared_caching

log = logging.getLogger("feedpub.serve")

CACHE_POLICY = "FeedCachePolicy"
"""The template's AWS::CloudFront::CachePolicy for feeds, whose TTL bounds the local edge models."""
_NOT_STORED = frozenset({"no-cache", "no-store", "private"})

Result = Literal["Hit", "RefreshHit", "Miss", "Error"]
"""CloudFront's X-Cache outcome: served from cache, revalidated with a 304, fetched, or failed."""


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """The TTL bounds of a CloudFront cache policy, in seconds."""

    min_ttl: int = 0
    default_ttl: int = 0
    max_ttl: int = 60

    @classmethod
    def from_template(cls, resources: Mapping[str, Any], resolve: Callable[[Any], Any]) -> CachePolicy:
        """The bounds of the template's FeedCachePolicy, or the defaults if it has none."""
        resource = resources.get(CACHE_POLICY)
        if resource is None:
            return cls()
        config = resolve(resource["Properties"]["CachePolicyConfig"])
        default = cls()
        return cls(
            int(config.get("MinTTL", default.min_ttl)),
            int(config.get("DefaultTTL", default.default_ttl)),
            int(config.get("MaxTTL", default.max_ttl)),
        )

    def ttl(self, cache_control: str) -> int | None:
        """How long the edge serves a copy without asking the origin; None when it keeps no copy.

        CloudFront's rule: no-cache, no-store or private mean MinTTL (with MinTTL 0, not cached at
        all); otherwise s-maxage, else max-age, else DefaultTTL, clamped to [MinTTL, MaxTTL].
        """
        found = directives(cache_control)
        if _NOT_STORED & found.keys():
            return self.min_ttl or None
        asked = next((found[name] for name in ("s-maxage", "max-age") if name in found), None)
        seconds = int(asked) if asked is not None and asked.isdigit() else self.default_ttl
        return min(max(seconds, self.min_ttl), self.max_ttl)


@dataclass(frozen=True, slots=True)
class OriginResponse:
    """What the origin answered: 200 with the object, 304 to a conditional GET, or an error."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


Origin = Callable[[str, str | None], OriginResponse]
"""GET an object by its path (/feeds/rss.xml), conditionally when given the cached ETag."""


@dataclass(frozen=True, slots=True)
class EdgeResponse:
    """What the edge hands the viewer-response stage: the object (or error) and how it was got."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    result: Result
    age: int | None = None
    """Seconds since the copy was last validated with the origin, on a Hit."""


@dataclass(frozen=True, slots=True)
class _Entry:
    headers: Mapping[str, str]
    body: bytes
    validated_at: float
    ttl: int
    stale: int
    fetch: int
    """The number of the origin request it came from: a later request's copy always wins."""


class EdgeCache:
    """A thread-safe shared cache keyed by path (after negotiation, as CloudFront's cache key)."""

    def __init__(
        self,
        origin: Origin,
        policy: CachePolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        background: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.origin = origin
        self.policy = policy or CachePolicy()
        self.clock = clock
        """Seconds, monotonic; injectable so tests can move time without sleeping."""
        self.background = background or _in_a_thread
        """Runs a stale-while-revalidate refresh after the stale copy was served."""
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._fetches = itertools.count(1)
        self._floor = 0
        """Origin requests numbered below this started before the last invalidation: not stored."""
        self._refreshing: set[str] = set()

    def get(self, path: str) -> EdgeResponse:
        """The object at `path`: from cache while fresh, else revalidated with the origin."""
        with self._lock:
            entry = self._entries.get(path)
        if entry is not None:
            age = self.clock() - entry.validated_at
            if age < entry.ttl + entry.stale:
                if age >= entry.ttl:
                    self._refresh_later(path)
                return EdgeResponse(HTTPStatus.OK, entry.headers, entry.body, "Hit", int(age))
        return self._fetch(path, entry)

    def invalidate(self, paths: Iterable[str]) -> int:
        """Drop the copies of `paths` (exact, or a prefix ending in `*`); returns how many were dropped.

        As with CloudFront, a path must start with "/" and `*` may only end it. An origin request
        already under way when this is called does not put its (possibly older) copy back.
        """
        patterns = list(paths)
        for pattern in patterns:
            if not pattern.startswith("/") or "*" in pattern[:-1]:
                raise ValueError(f"invalid path {pattern!r}: start it with / and use * only at its end")
        with self._lock:
            self._floor = next(self._fetches)
            dropped = [path for path in self._entries if any(_matches(path, p) for p in patterns)]
            for path in dropped:
                del self._entries[path]
        return len(dropped)

    def _fetch(self, path: str, entry: _Entry | None) -> EdgeResponse:
        with self._lock:
            number = next(self._fetches)
        response = self.origin(path, entry.headers.get("ETag") if entry else None)
        if response.status == HTTPStatus.NOT_MODIFIED and entry is not None:
            self._store(path, replace(entry, validated_at=self.clock(), fetch=number), number)
            return EdgeResponse(HTTPStatus.OK, entry.headers, entry.body, "RefreshHit")
        if response.status != HTTPStatus.OK:
            if response.status == HTTPStatus.NOT_FOUND:
                self._store(path, None, number)  # the object is gone: so is its copy
            return EdgeResponse(response.status, response.headers, response.body, "Error")
        cache_control = response.headers.get("Cache-Control", "")
        ttl = self.policy.ttl(cache_control)
        fresh = None
        if ttl is not None:
            stale = shared_caching(cache_control).stale_seconds
            fresh = _Entry(response.headers, response.body, self.clock(), ttl, stale, number)
        self._store(path, fresh, number)
        return EdgeResponse(HTTPStatus.OK, response.headers, response.body, "Miss")

    def _store(self, path: str, entry: _Entry | None, number: int) -> None:
        """Keep `entry` (or forget the path) unless a later origin request or an invalidation won."""
        with self._lock:
            current = self._entries.get(path)
            if number < self._floor or (current is not None and current.fetch > number):
                return
            if entry is None:
                self._entries.pop(path, None)
            else:
                self._entries[path] = entry

    def _refresh_later(self, path: str) -> None:
        with self._lock:
            if path in self._refreshing:
                return
            self._refreshing.add(path)
        self.background(lambda: self._refresh(path))

    def _refresh(self, path: str) -> None:
        try:
            with self._lock:
                entry = self._entries.get(path)
            self._fetch(path, entry)
        except Exception:
            log.exception("could not revalidate %s in the background", path)
        finally:
            with self._lock:
                self._refreshing.discard(path)


def _matches(path: str, pattern: str) -> bool:
    return path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern


def _in_a_thread(task: Callable[[], None]) -> None:
    threading.Thread(target=task, name="edge-refresh", daemon=True).start()


class S3Origin:
    """The site bucket as the distribution's origin: GetObject, with the headers S3 serves."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def __call__(self, path: str, if_none_match: str | None) -> OriginResponse:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": path.lstrip("/")}
        if if_none_match:
            kwargs["IfNoneMatch"] = if_none_match
        try:
            response = self.s3.get_object(**kwargs)
        except Exception as exc:
            status = int(getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            if status in (HTTPStatus.NOT_MODIFIED, HTTPStatus.NOT_FOUND):
                return OriginResponse(status, {})
            raise
        headers = {
            "Content-Type": response.get("ContentType", "application/octet-stream"),
            "ETag": response.get("ETag", ""),
            "Last-Modified": format_datetime(response["LastModified"].astimezone(UTC), usegmt=True),
        }
        if response.get("CacheControl"):
            headers["Cache-Control"] = response["CacheControl"]
        headers.update({f"x-amz-meta-{name}": value for name, value in response.get("Metadata", {}).items()})
        return OriginResponse(HTTPStatus.OK, headers, response["Body"].read())
