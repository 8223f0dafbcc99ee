"""JSON Feed 1.1, written by hand: feedgen has no JSON Feed support."""

from __future__ import annotations

import json
from typing import Any

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec
from feedpub.views.ranking import RankedArticle

VERSION = "https://jsonfeed.org/version/1.1"


def json_item(spec: FeedSpec, article: Article) -> dict[str, Any]:
    """One JSON Feed item; shared with the most-viewed feed so both name items alike."""
    item: dict[str, Any] = {
        "id": spec.item_id(article),
        "url": article.url,
        "title": article.title,
        "content_html": article.content_html,
        "summary": article.summary,
    }
    if article.image is not None:
        item["image"] = article.image.url
    item["date_published"] = article.published.isoformat()
    item["date_modified"] = article.modified.isoformat()
    if article.authors:
        item["authors"] = [{"name": name} for name in article.authors]
    item["tags"] = list(dict.fromkeys([article.section_title, *article.tags]))
    item["language"] = article.language
    if not article.is_public:  # content_html is only a teaser; say why (JSON Feed allows `_` extensions)
        item["_feedpub"] = {"access": article.access}
    return item


def dump_json_feed(feed: dict[str, Any]) -> bytes:
    """The canonical bytes of a JSON feed document: stable key order, UTF-8, trailing newline."""
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def json_feed_header(spec: FeedSpec, config: SiteConfig, filename: str) -> dict[str, Any]:
    """The top-level fields every JSON feed of a feed set shares, with its WebSub hubs."""
    header: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title,
        "home_page_url": spec.home_url,
        "feed_url": spec.url(filename),
        "description": spec.description,
        "language": config.language,
        "authors": [{"name": config.title, "url": config.base_url + "/"}],
    }
    if config.websub_hubs:
        header["hubs"] = [{"type": "WebSub", "url": hub} for hub in config.websub_hubs]
    return header


def render_json_feed(spec: FeedSpec, items: list[Article], config: SiteConfig) -> bytes:
    """The JSON Feed document of one feed set."""
    feed = json_feed_header(spec, config, "feed.json")
    feed["items"] = [json_item(spec, article) for article in items]
    return dump_json_feed(feed)


def render_most_viewed(
    spec: FeedSpec, ranked: list[RankedArticle], config: SiteConfig, hours: int, filename: str
) -> bytes:
    """A most-viewed JSON Feed: the same items as feed.json, ranked, views in `_feedpub`.

    No generation time appears anywhere, and each item keeps the article's own date_modified, so
    re-ranking never makes an old story look new and unchanged counts give unchanged bytes.
    """
    feed = json_feed_header(spec, config, filename)
    label = f"{hours // 24} days" if hours % 24 == 0 and hours > 24 else f"{hours} hours"
    feed["title"] = f"{spec.title}: most viewed"
    feed["description"] = f"The most viewed stories of the last {label}."
    feed["_feedpub"] = {"window_hours": hours}
    items = []
    for place in ranked:
        item = json_item(spec, place.article)
        item["_feedpub"] = {**item.get("_feedpub", {}), "rank": place.rank, "views": place.views}
        items.append(item)
    feed["items"] = items
    return dump_json_feed(feed)
