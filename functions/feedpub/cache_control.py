"""What a feed's Cache-Control lets a shared cache (CloudFront, the site's CDN) serve, and for how long.

A WebSub hub fetches a feed the moment it is told the feed changed, through the same CDN readers
use. Whether it can be handed bytes older than the ones announced depends only on how long a
shared cache may keep serving a copy without asking the origin: that is `shared_staleness`, and
feedpub delays every announcement by it (0 with the default) and refuses settings above the
takedown bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TAKEDOWN_SECONDS = 60
"""A deleted, drafted or rejected story must leave every feed as the edge serves it within this."""

_DIRECTIVE = re.compile(r"\s*([A-Za-z-]+)\s*(?:=\s*\"?([^\",]*)\"?)?\s*")
_NO_SHARED_REUSE = frozenset({"no-cache", "no-store", "private"})
_NO_STALE = frozenset({"must-revalidate", "proxy-revalidate"})


@dataclass(frozen=True, slots=True)
class SharedCaching:
    """How a shared cache may use a response with this Cache-Control (RFC 9111, RFC 5861)."""

    fresh_seconds: int
    """How long a shared cache serves its copy without asking the origin (s-maxage, else max-age)."""
    stale_seconds: int
    """How much longer it may serve that copy while it revalidates (stale-while-revalidate)."""

    @property
    def staleness(self) -> int:
        """The oldest a copy served by a shared cache can be, in seconds after the origin changed."""
        return self.fresh_seconds + self.stale_seconds


def directives(value: str) -> dict[str, str]:
    """Cache-Control directives by lower-case name; a directive without a value maps to ''."""
    found: dict[str, str] = {}
    for part in value.split(","):
        match = _DIRECTIVE.fullmatch(part)
        if match:
            found.setdefault(match[1].lower(), (match[2] or "").strip())
    return found


def _seconds(value: str) -> int:
    return int(value) if value.isdigit() else 0


def shared_caching(value: str) -> SharedCaching:
    """How long a shared cache may serve a response carrying `value` without new bytes."""
    found = directives(value)
    if _NO_SHARED_REUSE & found.keys():
        return SharedCaching(0, 0)
    fresh = _seconds(found["s-maxage"]) if "s-maxage" in found else _seconds(found.get("max-age", "0"))
    stale = 0 if _NO_STALE & found.keys() else _seconds(found.get("stale-while-revalidate", "0"))
    return SharedCaching(fresh, stale)


def cache_control_problem(value: str) -> str:
    """Why feeds must not carry this Cache-Control, or ''."""
    caching = shared_caching(value)
    if caching.staleness <= TAKEDOWN_SECONDS:
        return ""
    return (
        f"cache_control {value!r} lets a shared cache (CloudFront, the site's CDN) serve a feed up to "
        f"{caching.staleness} s old, but a takedown must leave the edge within {TAKEDOWN_SECONDS} s: keep "
        "s-maxage=0 (the default, every edge fetch revalidates) or at most "
        f"s-maxage={TAKEDOWN_SECONDS} without stale-while-revalidate"
    )
