"""RSS 2.0 and Atom 1.0 through feedgen, with every clock and default pinned to the data."""

from __future__ import annotations

from typing import Any

from feedgen.feed import FeedGenerator

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec
from feedpub.names import ATOM_FILE, RSS_FILE
from feedpub.render import feed_updated
from feedpub.render.feedgen_ext import (
    AtomHubs,
    AtomLinks,
    AtomLinksEntry,
    Media,
    MediaEntry,
    NoEntryExtension,
)

GENERATOR = "feedpub"


def build_generator(spec: FeedSpec, items: list[Article], config: SiteConfig, fmt: str) -> Any:
    """A FeedGenerator for one format; `fmt` is `rss` or `atom` and picks the extensions."""
    rss = fmt == "rss"
    self_name, self_type = (RSS_FILE, "application/rss+xml") if rss else (
        ATOM_FILE, "application/atom+xml")  # fmt: skip
    fg = FeedGenerator()
    # Only the format's own extensions: feedgen instantiates every registered one for every entry.
    if rss:
        fg.load_extension("dc", atom=False, rss=True)
        fg.register_extension("media", Media, MediaEntry, atom=False, rss=True)
        if config.websub_hubs:
            fg.register_extension("hubs", AtomHubs, NoEntryExtension, atom=False, rss=True)
            fg.hubs.hubs = list(config.websub_hubs)
    else:
        fg.register_extension("links", AtomLinks, AtomLinksEntry, atom=True, rss=False)
    fg.id(spec.feed_id)
    fg.title(spec.title)
    fg.description(spec.description)
    # feedgen's RSS channel <link> is the last link added, so self (and the hubs) go first.
    fg.link(href=spec.url(self_name), rel="self", type=self_type)
    if not rss:  # feedgen drops RSS's hub links; AtomHubs writes them
        for hub in config.websub_hubs:
            fg.link(href=hub, rel="hub")
    fg.link(href=spec.home_url, rel="alternate", type="text/html")
    fg.language(config.language)
    fg.generator(GENERATOR)
    fg.lastBuildDate(feed_updated(items, config))  # feedgen defaults it to now()
    if rss:
        fg.ttl(config.ttl_minutes)
    else:
        fg.author({"name": config.title, "uri": config.base_url + "/"})
    for article in items:
        _add_entry(fg, spec, article, rss)
    return fg


def _add_entry(fg: Any, spec: FeedSpec, article: Article, rss: bool) -> None:
    """One item; only the calls whose output the format writes (the bytes are the same)."""
    entry = fg.add_entry(order="append")
    entry.id(spec.item_id(article))  # also the RSS guid, isPermaLink="false"
    entry.title(article.title)
    entry.published(article.published)
    entry.updated(article.modified)  # feedgen defaults it to now()
    entry.summary(article.summary)
    entry.content(article.content_html, type="html")
    entry.category(term=article.section, label=article.section_title)
    for tag in article.tags:
        entry.category(term=tag)
    for name in article.authors:
        entry.author({"name": name})
    image = article.image
    if rss:
        entry.link(href=article.url, rel="alternate")
        if article.authors:
            entry.dc.dc_creator(list(article.authors))
        if image is not None:
            entry.enclosure(image.url, str(image.length), image.type)
            entry.media.set_image(
                url=image.url, type=image.type, width=image.width, height=image.height,
                caption=image.caption, credit=image.credit,
            )  # fmt: skip
    else:  # the links extension writes every Atom link (feedgen's own would lose their attributes)
        entry.links.add(article.url, "alternate", "text/html")
        if image is not None:
            entry.links.add(image.url, "enclosure", image.type, image.length)
