"""The SmartNews variant of the site feed: the same items in SmartFormat, beside the standard feed.

SmartFormat is RSS 2.0 plus the snf namespace; SmartView First needs the channel's `snf:logo`, and
the latest revision of the spec requires a channel `pubDate`, which the standard feeds leave out
(their `lastBuildDate` says the same). Everything else is the standard RSS, so the variant is
byte-stable exactly when the site feed is: build and pipeline write the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec, id_prefix
from feedpub.names import PARTNERS_FOLDER, RSS_FILE, SITE_FEED
from feedpub.render import RSS_TYPE, RenderedFile, feed_file, feed_updated

SMARTNEWS = "smartnews"


def partner_spec(config: SiteConfig, partner: str) -> FeedSpec:
    """Where a partner's variant of the site feed lives: `feeds/partners/<partner>/`."""
    return FeedSpec(
        name=SITE_FEED, title=config.title, description=config.description, home_url=config.base_url + "/",
        folder=f"{PARTNERS_FOLDER}/{partner}", feeds_url=config.feeds_url, id_prefix=id_prefix(config),
    )  # fmt: skip


def render_smartnews(items: list[Article], config: SiteConfig) -> bytes:
    """The SmartFormat RSS of the site's newest items."""
    from feedpub.render.feedgen_ext import NoEntryExtension, SmartFormat
    from feedpub.render.xml_feeds import build_generator

    fg = build_generator(partner_spec(config, SMARTNEWS), items, config, "rss")
    fg.register_extension("snf", SmartFormat, NoEntryExtension, atom=False, rss=True)
    fg.snf.logo = config.logo_url
    fg.pubDate(feed_updated(items, config))
    body: bytes = fg.rss_str(pretty=True)
    return body


VARIANTS: dict[str, Callable[[list[Article], SiteConfig], bytes]] = {SMARTNEWS: render_smartnews}
"""Partners that need a document of their own; the others read the standard feeds."""


def needs_variants(config: SiteConfig) -> bool:
    """Whether the site enables a partner that gets its own document."""
    return any(partner in VARIANTS for partner in config.partners)


def render_partner_feeds(items: list[Article], config: SiteConfig) -> list[RenderedFile]:
    """The variants of the enabled partners, from the site feed's items (newest first), each cut
    to `items_for("partner")`."""
    items = items[: config.items_for("partner")]
    return [
        feed_file(partner_spec(config, partner), config, RSS_FILE, RSS_TYPE, VARIANTS[partner](items, config))
        for partner in config.partners
        if partner in VARIANTS
    ]
