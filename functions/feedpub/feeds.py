"""Which feeds a site has, what each is called, and which articles each carries.

Two views of one decision: the index lists each article in the feeds `feeds_of` names, in
`entry_sort_key` order; a build (or an audit) selects the same articles with `group_items` and
`select_items`, which ask `feeds_of` too. A feed set is the whole site, a section, a tag or an
author (tags and authors only as the site config's `tag_feeds` / `author_feeds` choose).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.names import (
    AUTHOR_FEED_PREFIX,
    AUTHORS_FOLDER,
    FEEDS_PREFIX,
    MONTH_FEED_PREFIX,
    SECTION_FEED_PREFIX,
    SITE_FEED,
    TAG_FEED_PREFIX,
    TAGS_FOLDER,
)
from feedpub.text import slugify

ENTRY_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""Fixed-width UTC time: the byte order of the index's sort keys is the feeds' order."""
MONTH_FORMAT = "%Y-%m"
NEWS_WINDOW = timedelta(hours=48)
"""Google News wants only the articles of the last two days in a news sitemap."""
MAX_TAG_FEEDS = 10
"""Tag feeds one article joins at most (its first tags with a feed, in the order written); more
tags stay categories of the item. Bounds what one upload writes: each feed set is 4 files."""
MAX_AUTHOR_FEEDS = 5
"""Author feeds one article joins at most (its first authors with a feed)."""
KIND_ORDER = ("site", "section", "tag", "author", "month")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One set of feeds (RSS, Atom, JSON and the HTML page): the site, a section, a tag or an author."""

    name: str
    """`site`, a section slug, `tags/<slug>` or `authors/<slug>`: the feed id's last part."""
    title: str
    description: str
    home_url: str
    folder: str
    """Path of this feed set below the feeds root: `` for the site, the slug for a section,
    `tags/<slug>` and `authors/<slug>` for the others."""
    feeds_url: str
    """Public URL of the feeds root, from the site config."""
    id_prefix: str
    """Tag URI prefix shared by feed and item ids, e.g. `tag:www.example.com,2026-01-01:`."""
    kind: str = "site"
    """`site`, `section`, `tag` or `author` (`names.FEED_KINDS`): picks the item count."""

    @property
    def section(self) -> str | None:
        """The section this feed set filters on (section feeds only), else None."""
        return self.name if self.kind == "section" else None

    @property
    def feed(self) -> str:
        """The index name of this feed set's feed (inverse of `spec_for`)."""
        prefixes = {"section": SECTION_FEED_PREFIX, "tag": TAG_FEED_PREFIX, "author": AUTHOR_FEED_PREFIX}
        if self.kind not in prefixes:
            return SITE_FEED
        return prefixes[self.kind] + self.name.rsplit("/", 1)[-1]

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
        """Permanent id of an item: the same in RSS guid, Atom id and JSON Feed id, in every feed."""
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
        id_prefix=id_prefix(config), kind="section",
    )  # fmt: skip


def tag_feed(config: SiteConfig, slug: str, label: str) -> FeedSpec:
    """The feed set of one tag; its home is its own HTML page (a site's tag pages are its own)."""
    return _named_feed(config, "tag", f"{TAGS_FOLDER}/{slug}", f"tagged {label}", label)


def author_feed(config: SiteConfig, slug: str, label: str) -> FeedSpec:
    """The feed set of one author."""
    return _named_feed(config, "author", f"{AUTHORS_FOLDER}/{slug}", f"by {label}", label)


def _named_feed(config: SiteConfig, kind: str, folder: str, which: str, label: str) -> FeedSpec:
    """A tag's or an author's feed set: `folder` below the feeds root, described as the latest
    stories `which` (tagged X, by X)."""
    return FeedSpec(
        name=folder, title=f"{config.title}: {label}",
        description=f"The latest stories {which} from {config.title}.",
        home_url=f"{config.feeds_url}/{folder}/", folder=folder, feeds_url=config.feeds_url,
        id_prefix=id_prefix(config), kind=kind,
    )  # fmt: skip


# -- the feeds of the index -----------------------------------------------------------------------


def section_feed_name(section: str) -> str:
    """Index name of a section's feed (kept apart from `site` whatever the section is called)."""
    return f"{SECTION_FEED_PREFIX}{section}"


def tag_feed_name(slug: str) -> str:
    """Index name of a tag's feed."""
    return f"{TAG_FEED_PREFIX}{slug}"


def author_feed_name(slug: str) -> str:
    """Index name of an author's feed."""
    return f"{AUTHOR_FEED_PREFIX}{slug}"


def is_section_feed(feed: str) -> bool:
    """Whether an index feed name is a section's."""
    return feed.startswith(SECTION_FEED_PREFIX)


def feed_section(feed: str) -> str:
    """The section slug of a section feed's index name (inverse of `section_feed_name`)."""
    return feed.removeprefix(SECTION_FEED_PREFIX)


def feed_kind(feed: str) -> str:
    """The kind (`site`, `section`, `tag`, `author`; `month` for a sitemap archive) of an index
    feed name."""
    if feed == SITE_FEED:
        return "site"
    return feed.split("#", 1)[0] if "#" in feed else "section"


def _first_slugs(names: Iterable[str], wanted: int) -> list[str]:
    """The slugs of the first `wanted` distinct names: two spellings of one slug count once."""
    slugs = dict.fromkeys(slug for slug in map(slugify, names) if slug)
    return list(slugs)[:wanted]


def tag_slugs(article: Article, config: SiteConfig) -> list[str]:
    """The tags of `article` that get a feed, as slugs: those the config chooses, at most 10."""
    return _first_slugs((tag for tag in article.tags if config.tag_feeds.includes(tag)), MAX_TAG_FEEDS)


def author_slugs(article: Article, config: SiteConfig) -> list[str]:
    """The authors of `article` that get a feed, as slugs: those the config chooses, at most 5."""
    chosen = (name for name in article.authors if config.author_feeds.includes(name))
    return _first_slugs(chosen, MAX_AUTHOR_FEEDS)


def fan_out_warnings(article: Article, config: SiteConfig) -> list[str]:
    """What an editor should know about the feeds an article joins: tags or authors past the limit."""
    warnings = []
    limits = (("tags", article.tags, config.tag_feeds, MAX_TAG_FEEDS),
              ("authors", article.authors, config.author_feeds, MAX_AUTHOR_FEEDS))  # fmt: skip
    for field, names, choice, limit in limits:
        chosen = _first_slugs((name for name in names if choice.includes(name)), len(names))
        if len(chosen) > limit:
            warnings.append(
                f"{field}: {len(chosen)} of them have feeds on this site, but a story joins at most "
                f"{limit}: it is left out of the feeds of {', '.join(chosen[limit:])} (they stay "
                f"categories); put the {limit} that matter most first"
            )
    return warnings


def feeds_of(article: Article, config: SiteConfig) -> list[str]:
    """The feeds an article is listed in: the site's, its section's, and its chosen tags' and
    authors' (drafts: none)."""
    if article.draft:
        return []
    return [
        SITE_FEED,
        section_feed_name(article.section),
        *(tag_feed_name(slug) for slug in tag_slugs(article, config)),
        *(author_feed_name(slug) for slug in author_slugs(article, config)),
    ]


def feed_order(feed: str) -> tuple[int, str]:
    """Feeds in the order a site lists them: site, sections, tags, authors; each by slug."""
    return (KIND_ORDER.index(feed_kind(feed)), feed)


def archive_feeds(article: Article) -> list[str]:
    """The archive partitions an article is listed in: its UTC month's (drafts: none). Their
    entries are slim (no payload): the sitemaps need only url, title, language and dates."""
    return [] if article.draft else [month_feed_name(article.published)]


def index_entries(article: Article, config: SiteConfig) -> set[tuple[str, str]]:
    """Every (feed, sort key) entry the index holds for an article: its feeds and its archives."""
    sort_key = entry_sort_key(article)
    return {(feed, sort_key) for feed in [*feeds_of(article, config), *archive_feeds(article)]}


def month_of(when: datetime) -> str:
    """The UTC month (YYYY-MM) a time falls in: the sitemap file an article published then is in."""
    return when.astimezone(UTC).strftime(MONTH_FORMAT)


def month_feed_name(when: datetime) -> str:
    """Index name of the archive of the UTC month of `when`."""
    return f"{MONTH_FEED_PREFIX}{month_of(when)}"


def is_month_feed(feed: str) -> bool:
    """Whether an index feed name is a month's archive (not a feed set)."""
    return feed.startswith(MONTH_FEED_PREFIX)


def feed_month(feed: str) -> str:
    """The YYYY-MM of a month archive's index name (inverse of `month_feed_name`)."""
    return feed.removeprefix(MONTH_FEED_PREFIX)


def recent_month_feeds(now: datetime) -> set[str]:
    """The archives an embargo ending about now can be in: this UTC month's and the previous one's
    (the scheduled run comes every few minutes, so a release at the turn of a month is in the
    previous one)."""
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {month_feed_name(first), month_feed_name(first - timedelta(days=1))}


def news_months(now: datetime) -> list[str]:
    """The archives holding the news sitemap's window (the last 48 hours), newest first."""
    months = [month_feed_name(now), month_feed_name(now - NEWS_WINDOW)]
    return list(dict.fromkeys(months))


def entry_sort_key(article: Article) -> str:
    """An article's place in a feed of the index: fixed-width UTC time then id, so that byte
    order is feed order (ties broken by id, as `select_items` does)."""
    return f"{article.published.astimezone(UTC).strftime(ENTRY_TIME_FORMAT)}#{article.id}"


def entries_published_by(now: datetime) -> str:
    """A bound that every entry published by `now` sorts below, and every later one above."""
    return now.astimezone(UTC).strftime(ENTRY_TIME_FORMAT) + "$"  # '$' sorts after '#'


def entries_published_since(start: datetime) -> str:
    """A bound that every entry published at or after `start` sorts above, and every earlier one below."""
    return start.astimezone(UTC).strftime(ENTRY_TIME_FORMAT)  # a prefix sorts before its extensions


def _label(slug: str, names: Iterable[str]) -> str:
    """How a tag or author feed is titled: the smallest of the names its items spell with this
    slug (`Port Ellis` before `port ellis`), so the title is the same however the items arrive."""
    return min((name for name in names if slugify(name) == slug), default=slug.replace("-", " ").title())


def spec_for(feed: str, config: SiteConfig, items: Iterable[Article] = ()) -> FeedSpec:
    """The FeedSpec of an index feed name; `items` (the feed's) name sections, tags and authors."""
    items = list(items)
    kind, _, slug = feed.partition("#")
    if feed == SITE_FEED:
        return site_feed(config)
    if kind == "tag":
        return tag_feed(config, slug, _label(slug, (tag for a in items for tag in a.tags)))
    if kind == "author":
        return author_feed(config, slug, _label(slug, (name for a in items for name in a.authors)))
    return section_feed(config, feed_section(feed), items[0].section_title if items else None)


def group_items(articles: Iterable[Article], config: SiteConfig, now: datetime) -> dict[str, list[Article]]:
    """Every feed with a listed article, in `feed_order`, each with its newest items (as many as
    its kind carries), newest first, ties broken by id: what the index's Queries return."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        if article.is_listed(now):
            for feed in feeds_of(article, config):
                groups.setdefault(feed, []).append(article)
    chosen: dict[str, list[Article]] = {SITE_FEED: []}
    for feed in sorted(groups, key=feed_order):
        items = sorted(groups[feed], key=Article.sort_key, reverse=True)
        chosen[feed] = items[: config.items_for(feed_kind(feed))]
    return chosen


def feed_specs(config: SiteConfig, articles: Iterable[Article], now: datetime) -> list[FeedSpec]:
    """Every feed set a build writes: the site's, then each section, tag and author with a listed
    article (a section whose only stories are drafts or embargoed gets none: its name would give
    them away)."""
    return [spec_for(feed, config, items) for feed, items in group_items(articles, config, now).items()]


def select_items(
    articles: Iterable[Article], spec: FeedSpec, config: SiteConfig, now: datetime, limit: int | None = None
) -> list[Article]:
    """The items of one feed set as `group_items` selects them (`limit`: the kind's count)."""
    listed = [a for a in articles if a.is_listed(now) and spec.feed in feeds_of(a, config)]
    listed.sort(key=Article.sort_key, reverse=True)
    return listed[: config.items_for(spec.kind) if limit is None else limit]
