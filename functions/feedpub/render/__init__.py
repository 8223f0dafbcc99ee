"""Feed rendering: one module per format, each a pure function of (spec, items, config) to bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec
from feedpub.names import ATOM_FILE, JSON_FEED_FILE, PAGE_FILE, RSS_FILE
from feedpub.websub import link_header


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One output file: where it goes, what it is, and its exact bytes."""

    key: str
    content_type: str
    body: bytes
    link: str = ""
    """The HTTP `Link` header to serve it with (WebSub hubs and self), stored as object metadata."""


RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"


def feed_updated(items: list[Article], config: SiteConfig) -> datetime:
    """The feed's own timestamp: its newest item's, so unchanged items mean unchanged bytes."""
    if items:
        return max(item.modified for item in items)
    return config.id_start


def render_feed_set(spec: FeedSpec, items: list[Article], config: SiteConfig) -> list[RenderedFile]:
    """RSS, Atom, JSON Feed and the HTML page (for browsers) of one feed set.

    `items` must already be selected and ordered.
    """
    from feedpub.render.atom import render_atom
    from feedpub.render.html_page import HTML_TYPE, render_feed_page
    from feedpub.render.jsonfeed import render_json_feed
    from feedpub.render.rss import render_rss

    return [
        feed_file(spec, config, RSS_FILE, RSS_TYPE, render_rss(spec, items, config)),
        feed_file(spec, config, ATOM_FILE, ATOM_TYPE, render_atom(spec, items, config)),
        feed_file(spec, config, JSON_FEED_FILE, JSON_FEED_TYPE, render_json_feed(spec, items, config)),
        RenderedFile(spec.key(PAGE_FILE), HTML_TYPE, render_feed_page(spec, items, config)),
    ]


def feed_file(
    spec: FeedSpec, config: SiteConfig, filename: str, content_type: str, body: bytes
) -> RenderedFile:
    """A feed of `spec` with its discovery header: the hubs and its own public URL."""
    return RenderedFile(
        spec.key(filename), content_type, body, link_header(config.websub_hubs, spec.url(filename))
    )
