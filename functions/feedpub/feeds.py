"""Which feeds a site has, what each is called, and which articles each carries.

Two views of one decision: the index lists each article in the feeds `feeds_of` names, in
`entry_sort_key` order; a build (or an audit) selects the same articles with `select_items`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.names import (
    AUTHOR_FEED_PREFIX,
    AUTHORS_FOLDER,
    FEEDS_PREFIX,
    PARTNERS_FOLDER,
    SECTION_FEED_PREFIX,
    SITE_FEED,
    TAG_FEED_PREFIX,
    TAGS_FOLDER,
)

KIND_OF_FOLDER = {TAGS_FOLDER: "tag", AUTHORS_FOLDER: "author", PARTNERS_FOLDER: "partner"}
"""The kind (`names.FEED_KINDS`) of a feed set that lives in `<folder>/<name>/`."""

ENTRY_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""Fixed-width UTC time: the byte order of the index's sort keys is the feeds' order."""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One set of feeds (RSS, Atom, JSON): the whole site or one section."""

    name: str
    """`site`, or a section slug."""
    title: str
    description: str
    home_url: str
    folder: str
    """Path of this feed set below the feeds root: `` for the site, the slug for a section."""
    feeds_url: str
    """Public URL of the feeds root, from the site config."""
    id_prefix: str
    """Tag URI prefix shared by feed and item ids, e.g. `tag:www.example.com,2026-01-01:`."""

    @property
    def kind(self) -> str:
        """`site`, `section`, `tag`, `author` or `partner`: what `items_per_kind` counts by."""
        top, _, rest = self.folder.partition("/")
        if rest and top in KIND_OF_FOLDER:
            return KIND_OF_FOLDER[top]
        return "site" if self.name == SITE_FEED else "section"

    @property
    def section(self) -> str | None:
        """The section this feed set filters on, or None for the whole site."""
        return None if self.name == SITE_FEED else self.name

    def key(self, filename: str) -> str:
        """Object key (or relative path) of one of this set's files."""
        return "/".join(part for part in (FEEDS_PREFIX, self.folder, filename) if part)

    def url(self, filename: str) -> str:
        """Public URL of one of this set's files."""
        return "/".join(part for part in (self.feeds_url, self.folder, filename) if part)

    @property
    def feed_id(self) -> str:
        """Permanent id of the feed itself (Atom `feed/id`)."""
        return f"{self.id_prefix}feed/{self.name}"

    def item_id(self, article: Article) -> str:
        """Permanent id of an item: the same in RSS guid, Atom id and JSON Feed id."""
        return f"{self.id_prefix}article/{article.id}"


def id_prefix(config: SiteConfig) -> str:
    """The tag URI (RFC 4151) prefix under which this site mints ids."""
    return f"tag:{config.id_authority},{config.id_date}:"


def site_feed(config: SiteConfig) -> FeedSpec:
    """The whole-site feed set."""
    return FeedSpec(
        name=SITE_FEED, title=config.title, description=config.description,
        home_url=config.base_url + "/", folder="", feeds_url=config.feeds_url,
        id_prefix=id_prefix(config),
    )  # fmt: skip


def section_feed(config: SiteConfig, section: str, section_title: str | None = None) -> FeedSpec:
    """The feed set of one section."""
    label = config.sections.get(section) or section_title or config.section_title(section)
    return FeedSpec(
        name=section, title=f"{config.title}: {label}",
        description=f"The latest {label} stories from {config.title}.",
        home_url=f"{config.base_url}/{section}/", folder=section, feeds_url=config.feeds_url,
        id_prefix=id_prefix(config),
    )  # fmt: skip


def feed_specs(config: SiteConfig, articles: Iterable[Article], now: datetime) -> list[FeedSpec]:
    """The site feed set and one per section with a listed article, sections sorted by slug.

    A section whose only articles are drafts or embargoed gets no feed yet: its name would
    give the unpublished story away.
    """
    titles: dict[str, str] = {}
    for article in articles:
        if article.is_listed(now):
            titles.setdefault(article.section, article.section_title)
    return [site_feed(config)] + [section_feed(config, s, titles[s]) for s in sorted(titles)]


def select_items(articles: Iterable[Article], spec: FeedSpec, now: datetime, limit: int) -> list[Article]:
    """The newest `limit` listed articles of a feed set, newest first, ties broken by id."""
    chosen = [a for a in articles if a.is_listed(now) and (spec.section in (None, a.section))]
    chosen.sort(key=Article.sort_key, reverse=True)
    return chosen[:limit]


# -- the feeds of the index -----------------------------------------------------------------------


def section_feed_name(section: str) -> str:
    """Index name of a section's feed (kept apart from `site` whatever the section is called)."""
    return f"{SECTION_FEED_PREFIX}{section}"


def is_section_feed(feed: str) -> bool:
    """Whether an index feed name is a section's."""
    return feed.startswith(SECTION_FEED_PREFIX)


def feed_section(feed: str) -> str:
    """The section slug of a section feed's index name (inverse of `section_feed_name`)."""
    return feed.removeprefix(SECTION_FEED_PREFIX)


def feed_kind(feed: str) -> str:
    """The kind (`names.FEED_KINDS`) of an index feed name, before its FeedSpec is known."""
    if feed == SITE_FEED:
        return "site"
    if feed.startswith(TAG_FEED_PREFIX):
        return "tag"
    return "author" if feed.startswith(AUTHOR_FEED_PREFIX) else "section"


def feeds_of(article: Article) -> list[str]:
    """The feeds an article is listed in: the site's and its section's (drafts: none)."""
    return [] if article.draft else [SITE_FEED, section_feed_name(article.section)]


def entry_sort_key(article: Article) -> str:
    """An article's place in a feed of the index: fixed-width UTC time then id, so that byte
    order is feed order (ties broken by id, as `select_items` does)."""
    return f"{article.published.astimezone(UTC).strftime(ENTRY_TIME_FORMAT)}#{article.id}"


def entries_published_by(now: datetime) -> str:
    """A bound that every entry published by `now` sorts below, and every later one above."""
    return now.astimezone(UTC).strftime(ENTRY_TIME_FORMAT) + "$"  # '$' sorts after '#'


def spec_for(feed: str, config: SiteConfig, section_title: str | None = None) -> FeedSpec:
    """The FeedSpec of an index feed name."""
    if feed == SITE_FEED:
        return site_feed(config)
    return section_feed(config, feed_section(feed), section_title)
