"""RSS 2.0 with content:encoded, dc:creator, media:content, enclosure and atom:link self."""

from __future__ import annotations

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec
from feedpub.render.xml_feeds import build_generator


def render_rss(spec: FeedSpec, items: list[Article], config: SiteConfig) -> bytes:
    """The RSS 2.0 document of one feed set."""
    body: bytes = build_generator(spec, items, config, "rss").rss_str(pretty=True)
    return body
