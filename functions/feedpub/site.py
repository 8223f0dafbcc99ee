"""The whole site's outputs from a set of articles: the pure heart of both `build` and the Lambdas."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError, Problem
from feedpub.feeds import group_items, select_items, site_feed, spec_for
from feedpub.render import RenderedFile, render_feed_set
from feedpub.render.sitemaps import SitemapEntry, render_sitemaps


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


Renderer = Callable[[Article], Article]
"""Turns a pending article's body into safe HTML (`Article.rendered`, or a build's, which can
read a file again); only the articles an output shows go through it."""


def _rendering(render: Renderer) -> Renderer:
    """`render`, once per article (an article is in several feeds)."""
    done: dict[str, Article] = {}

    def once(article: Article) -> Article:
        if article.pending is None:
            return article
        if article.key not in done:
            done[article.key] = render(article)
        return done[article.key]

    return once


def render_partner_variants(
    articles: list[Article], config: SiteConfig, now: datetime, render: Renderer = Article.rendered
) -> list[RenderedFile]:
    """The documents of the enabled partners that need their own (`feeds/partners/<partner>/`):
    the site feed's newest items, as many as a partner feed carries."""
    from feedpub.partners.smartnews import needs_variants, render_partner_feeds

    if not needs_variants(config):
        return []
    items = select_items(articles, site_feed(config), config, now, config.items_for("partner"))
    return render_partner_feeds([render(item) for item in items], config)


def render_site(
    articles: list[Article], config: SiteConfig, now: datetime, render: Renderer = Article.rendered
) -> list[RenderedFile]:
    """All feeds of the site, in every format (whole-site, sections, and the tags and authors the
    config gives feeds; each as the index's Query of that feed would select its items), the
    partner variants and the sitemaps. Pending bodies are rendered only for the items shown."""
    once = _rendering(render)
    files: list[RenderedFile] = []
    for feed, items in group_items(articles, config, now).items():
        shown = [once(item) for item in items]
        files.extend(render_feed_set(spec_for(feed, config, shown), shown, config))
    files.extend(render_partner_variants(articles, config, now, once))
    listed = (SitemapEntry.of(article) for article in articles if article.is_listed(now))
    return files + render_sitemaps(listed, config, now)
