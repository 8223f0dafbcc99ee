"""Every name feedpub gives what it stores: bucket prefixes, published files, feed names, index items.

One home for every module that spells them: the adapters (`aws/`) translate these names into S3
keys and DynamoDB items, and nothing else writes them out. Which feeds an article belongs to, and
in which order, is decided in `feeds`; this module only says how the results are spelled.
"""

from __future__ import annotations

from typing import NamedTuple

# -- the articles bucket --------------------------------------------------------------------------

ARTICLES_PREFIX = "articles/"
"""Where editors put articles, `articles/<section>/<name>.md`; only this prefix notifies the pipeline."""
REPORTS_PREFIX = "reports/"
"""Where a rejected article's report goes: outside `articles/`, so writing one triggers nothing."""
REPORT_SUFFIX = ".json"


def is_article_key(key: str) -> bool:
    """Whether an object key is an article upload: under `articles/`, not a folder marker, not a
    hidden file. The one rule for the pipeline, backfills, audits and `feedpub build`.

    Any suffix counts (.txt, .docx): such a file is read and rejected with a report saying why,
    never skipped silently.
    """
    name = key.rsplit("/", 1)[-1]
    return key.startswith(ARTICLES_PREFIX) and bool(name) and not name.startswith(".")


def report_key(key: str) -> str:
    """Where the report of the article at `key` lives: `reports/<key>.json`."""
    return f"{REPORTS_PREFIX}{key}{REPORT_SUFFIX}"


def reported_key(report: str) -> str:
    """The article key a report object belongs to (inverse of `report_key`)."""
    return report[len(REPORTS_PREFIX) :].removesuffix(REPORT_SUFFIX)


# -- the site bucket: published files -------------------------------------------------------------

FEEDS_PREFIX = "feeds"
"""Key prefix of every published file in the site bucket (and folder under a local --out)."""
RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FEED_FILE = "feed.json"
PAGE_FILE = "index.html"
"""The page a browser is shown for a feed set (not a feed: never announced to hubs)."""
MOST_VIEWED_FILE = "most-viewed.json"
MOST_VIEWED_WEEK_FILE = "most-viewed-7d.json"
TOPIC_FILENAMES = frozenset({RSS_FILE, ATOM_FILE, JSON_FEED_FILE, MOST_VIEWED_FILE, MOST_VIEWED_WEEK_FILE})
"""The files readers subscribe to: each is a WebSub topic, announced to the hubs when its bytes change."""

# -- feeds ----------------------------------------------------------------------------------------

SITE_FEED = "site"
"""Name of the whole-site feed (in the index and as a feed set); sections are named below."""
SECTION_FEED_PREFIX = "section#"
"""Index name of a section's feed is `section#<slug>`: kept apart from `site` whatever the section
is called (`feeds.section_feed_name`). As a feed set, a section is named by its slug alone."""
TAG_FEED_PREFIX = "tag#"
"""Index name of a tag's feed, `tag#<slug>`; published under `feeds/tags/<slug>/`."""
MONTH_FEED_PREFIX = "month#"
"""Index name of a month's archive, `month#YYYY-MM` (UTC month of `published`): slim entries (url,
title, language, dates; no article payload) from which the month's sitemap and the news sitemap
are rendered. Not a feed set: nothing under `feeds/`."""
AUTHOR_FEED_PREFIX = "author#"
"""Index name of an author's feed, `author#<slug>`; published under `feeds/authors/<slug>/`."""
TAGS_FOLDER = "tags"
AUTHORS_FOLDER = "authors"
PARTNERS_FOLDER = "partners"
"""`feeds/partners/<partner>/rss.xml`: a partner's own variant of the site feed."""
RESERVED_SECTIONS = frozenset({TAGS_FOLDER, AUTHORS_FOLDER, PARTNERS_FOLDER})
"""Folders under `feeds/` that are not sections: a section with one of these slugs would share them."""

FEED_KINDS = ("site", "section", "tag", "author", "partner")
"""The kinds of feed set, as `items_per_kind` in the site config names them."""
PARTNERS = ("google-news", "apple-news", "flipboard", "msn", "smartnews")
"""The aggregators whose published feed rules feedpub knows (`feedpub doctor --for`, `partners`)."""

# -- the site bucket: sitemaps --------------------------------------------------------------------

SITEMAPS_PREFIX = "sitemaps"
"""Key prefix (and folder under a local --out) of the sitemaps: news.xml, index.xml, articles-YYYY-MM.xml."""
NEWS_SITEMAP_FILE = "news.xml"
"""Google's news sitemap: the last 48 hours' articles."""
SITEMAP_INDEX_FILE = "index.xml"
"""The sitemap index listing every month's file."""
MONTH_SITEMAP_STEM = "articles-"
"""A month's file is `articles-YYYY-MM.xml`; a month past one file's limits continues in `-2`, `-3`..."""


def sitemap_key(filename: str) -> str:
    """Object key (or relative path) of a sitemap file."""
    return f"{SITEMAPS_PREFIX}/{filename}"


def month_sitemap_key(month: str, part: int = 1) -> str:
    """Key of part `part` (from 1) of a month's sitemap, `month` as YYYY-MM."""
    suffix = "" if part == 1 else f"-{part}"
    return sitemap_key(f"{MONTH_SITEMAP_STEM}{month}{suffix}.xml")


def is_month_sitemap_key(key: str, month: str) -> bool:
    """Whether `key` is one of the parts of `month`'s sitemap."""
    stem = sitemap_key(f"{MONTH_SITEMAP_STEM}{month}")
    return key == f"{stem}.xml" or (key.startswith(f"{stem}-") and key.endswith(".xml"))


# -- items of the ArticlesTable (pk / sk) ---------------------------------------------------------


class ItemKey(NamedTuple):
    """The primary key of one item of the ArticlesTable: partition key and sort key."""

    pk: str
    sk: str


SOURCE_ITEM_PREFIX = "SRC#"
"""`SRC#<object key>` / `SRC`: what the object was last indexed as."""
ARTICLE_ITEM_PREFIX = "ART#"
"""`ART#<article id>` / `ART`: the article by id, and the object key that owns the id."""
FEED_ITEM_PREFIX = "FEED#"
"""`FEED#<feed>` / `<entry sort key>`: one entry of a feed (see `feeds.entry_sort_key`)."""
PATH_ITEM_PREFIX = "PATH#"
"""`PATH#<page path>` / `PATH`: which article a page path shows, for counting views."""
STATE_PARTITION = "STATE"
"""`STATE` / `PUBLISH` and `STATE` / `MOSTVIEWED`: what each publisher last wrote."""
HOUR_ITEM_PREFIX = "HOUR#"
"""`HOUR#<yyyy-mm-ddThh>` / `<article id>`: an article's views in one hour (UTC)."""
DAY_ITEM_PREFIX = "DAY#"
"""`DAY#<yyyy-mm-dd>` / `<article id>`: an article's views in one day (UTC)."""
LOG_ITEM_PREFIX = "LOG#"
"""`LOG#<log file name>#<content hash>` / `chunk#<n>`: a chunk of an access log that has been counted."""
HUB_ITEM_PREFIX = "HUB#"
"""`HUB#<hub URL>` / `HUB`: per topic, `changed_at` of the newest announcement the hub accepted."""

PUBLISH_STATE_ITEM = ItemKey(STATE_PARTITION, "PUBLISH")
MOST_VIEWED_STATE_ITEM = ItemKey(STATE_PARTITION, "MOSTVIEWED")


def source_item(key: str) -> ItemKey:
    """The SRC item of an object key."""
    return ItemKey(f"{SOURCE_ITEM_PREFIX}{key}", "SRC")


def article_item(article_id: str) -> ItemKey:
    """The ART item of an article id."""
    return ItemKey(f"{ARTICLE_ITEM_PREFIX}{article_id}", "ART")


def feed_partition(feed: str) -> str:
    """The partition holding a feed's entries, newest last in key order."""
    return f"{FEED_ITEM_PREFIX}{feed}"


def feed_entry_item(feed: str, sort_key: str) -> ItemKey:
    """One entry of a feed."""
    return ItemKey(feed_partition(feed), sort_key)


def path_item(page_path: str) -> ItemKey:
    """The PATH item of a page path."""
    return ItemKey(f"{PATH_ITEM_PREFIX}{page_path}", "PATH")


def page_path_of(partition: str) -> str:
    """The page path a PATH item's partition key names (inverse of `path_item`)."""
    return partition[len(PATH_ITEM_PREFIX) :]


def hour_partition(hour: str) -> str:
    """The partition of one hour's view counts, `hour` as yyyy-mm-ddThh (UTC)."""
    return f"{HOUR_ITEM_PREFIX}{hour}"


def day_partition(day: str) -> str:
    """The partition of one day's view counts, `day` as yyyy-mm-dd (UTC)."""
    return f"{DAY_ITEM_PREFIX}{day}"


def is_hour_partition(partition: str) -> bool:
    """Whether a view-count partition counts one hour (else one day)."""
    return partition.startswith(HOUR_ITEM_PREFIX)


def log_chunk_item(log_id: str, number: int) -> ItemKey:
    """The marker saying that chunk `number` of a log has been counted."""
    return ItemKey(f"{LOG_ITEM_PREFIX}{log_id}", f"chunk#{number}")


def hub_item(hub: str) -> ItemKey:
    """The HUB item of a WebSub hub."""
    return ItemKey(f"{HUB_ITEM_PREFIX}{hub}", "HUB")
