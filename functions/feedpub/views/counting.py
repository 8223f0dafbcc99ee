"""From requests to views: which requests count, and the per-article, per-hour tally of a file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import unquote, urlsplit

from feedpub.views.bots import is_bot
from feedpub.views.logs import Request

VIEW_METHODS = frozenset({"GET"})


def hour_of(timestamp: datetime) -> str:
    """The hour bucket of a timestamp (UTC), e.g. `2026-11-26T14`."""
    return timestamp.strftime("%Y-%m-%dT%H")


def normalize_path(path: str) -> str:
    """One path per page: no trailing slash (but `/`), no query, no fragment."""
    path = urlsplit(path).path or "/"
    return path.rstrip("/") or "/"


def page_path(url: str) -> str:
    """The path by which an article's page shows up in access logs (decoded, as logs are read)."""
    return normalize_path(unquote(urlsplit(url).path))


def is_view(request: Request) -> bool:
    """A reader's page view: a GET answered 2xx to a client that is not a bot.

    A 304 is a browser revalidating a page it already has (often the same reader reloading), so
    it is not a view; HEAD and errors are not either.
    """
    return request.method in VIEW_METHODS and 200 <= request.status < 300 and not is_bot(request.user_agent)


def tally(requests: Iterable[Request]) -> Counter[tuple[str, str]]:
    """Views per (normalized path, hour) of the requests that count."""
    counts: Counter[tuple[str, str]] = Counter()
    for request in requests:
        if is_view(request):
            counts[(normalize_path(request.path), hour_of(request.timestamp))] += 1
    return counts
