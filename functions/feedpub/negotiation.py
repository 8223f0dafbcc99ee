"""Content negotiation for feed URLs: browsers get the feed set's index.html, readers the feed.

A browser navigating to /feeds/rss.xml would otherwise download or render raw XML; the publisher
writes a human-readable index.html beside every feed set for them. Browsers put "text/html" first
in the Accept header of a navigation; feed readers (feedparser, newsboat/libcurl "*/*", curl) do
not, so the first media type alone decides, without parsing q-values.

This is the reference implementation of the rule. functions/cloudfront/negotiate.js (the
CloudFront Function that applies it at the edge) must agree with it; tests/template/test_negotiation.py
runs one table of cases against both.
"""

from __future__ import annotations

import re

__all__ = ["FEED_PATH", "negotiated_path", "wants_html"]

FEED_PATH = re.compile(r"^/feeds/(?:(?:tags/|authors/)?[a-z0-9-]+/)?(?:rss\.xml|atom\.xml|feed\.json)$")
"""The site feed set (/feeds/rss.xml ...), section feeds (/feeds/world/rss.xml ...), tag and author
feeds (/feeds/tags/climate/rss.xml ...). Anything else (most-viewed.json, index.html itself, partner
variants, deeper paths) is never negotiated. Use
fullmatch: with match, Python's `$` also matches before a trailing newline, JavaScript's does not."""


def wants_html(accept: str | None) -> bool:
    """True when the Accept value starts with text/html: a browser navigation, not a feed reader.

    Only the first media type counts: browsers list text/html first, while readers that accept
    anything (*/*, or text/html with a low q-value somewhere later) still want the feed.
    """
    return accept is not None and accept.strip().lower().startswith("text/html")


def negotiated_path(path: str, accept: str | None) -> str:
    """The object to serve for `path`: the sibling index.html for a browser asking for a feed.

    Every other request (non-feed paths, readers, no Accept header) is served unchanged.
    """
    if wants_html(accept) and FEED_PATH.fullmatch(path):
        return path[: path.rindex("/") + 1] + "index.html"
    return path
