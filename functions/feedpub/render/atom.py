"""Atom 1.0 (RFC 4287) with tag-URI ids, html content and typed enclosure links."""

from __future__ import annotations

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec
from feedpub.render.xml_feeds import build_generator


def render_atom(spec: FeedSpec, items: list[Article], config: SiteConfig) -> bytes:
    """The Atom document of one feed set."""
    body: bytes = build_generator(spec, items, config, "atom").atom_str(pretty=True)
    return body
