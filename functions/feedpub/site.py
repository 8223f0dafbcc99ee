"""The whole site's outputs from a set of articles: the pure heart of both `build` and the Lambdas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError, Problem
from feedpub.feeds import FeedSpec, feed_specs, select_items, site_feed
from feedpub.render import RenderedFile, render_feed_set


def claim_ids(articles: Iterable[Article]) -> tuple[list[Article], list[ArticleError]]:
    """Keep one article per id (the first by key) and reject the others by name.

    Two objects with one id would give readers one GUID for two stories, so neither may win
    silently.
    """
    owners: dict[str, Article] = {}
    rejected: list[ArticleError] = []
    for article in sorted(articles, key=lambda a: a.key):
        owner = owners.get(article.id)
        if owner is None:
            owners[article.id] = article
            continue
        rejected.append(
            ArticleError(
                article.key,
                [
                    Problem(
                        "id",
                        f"{article.id!r} is already the id of {owner.key}; "
                        "give this article its own `id:` (ids are permanent)",
                    )
                ],
            )
        )
    return list(owners.values()), rejected


def render_feed_sets(
    specs: Iterable[FeedSpec], articles: list[Article], config: SiteConfig, now: datetime
) -> list[RenderedFile]:
    """Every file of the given feed sets."""
    files: list[RenderedFile] = []
    for spec in specs:
        items = select_items(articles, spec, now, config.items_for(spec.kind))
        files.extend(render_feed_set(spec, items, config))
    return files


def render_partner_variants(articles: list[Article], config: SiteConfig, now: datetime) -> list[RenderedFile]:
    """The documents of the enabled partners that need their own (`feeds/partners/<partner>/`)."""
    from feedpub.partners.smartnews import needs_variants, render_partner_feeds

    if not needs_variants(config):
        return []
    items = select_items(articles, site_feed(config), now, config.items_for("partner"))
    return render_partner_feeds(items, config)


def render_site(articles: list[Article], config: SiteConfig, now: datetime) -> list[RenderedFile]:
    """All feeds of the site: whole-site and per-section, in every format, and partner variants."""
    files = render_feed_sets(feed_specs(config, articles, now), articles, config, now)
    return files + render_partner_variants(articles, config, now)
