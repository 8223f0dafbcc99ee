"""`feedpub audit`: reconcile the articles bucket, the index and the published feeds.

The bucket is the truth. Every article is read and validated again, and the result is compared
with what the index recorded and with what the feeds show. This reads everything (it lists the
bucket and scans the table), so it is an operator's tool for after incidents and for tests, never
part of the hot path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from feedpub.article import Article, parse_article
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import ArticleIndex, SourceState
from feedpub.aws.site_bucket import SiteBucket
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.feeds import feed_order, feeds_of, is_month_feed, select_items, spec_for
from feedpub.names import JSON_FEED_FILE, SITE_FEED, is_article_key
from feedpub.site import claim_ids


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One way the index or the feeds differ from the bucket."""

    kind: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


@dataclass
class _BucketContents:
    """Every article object as it is now, validated again."""

    valid: list[Article] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    versions: dict[str, str] = field(default_factory=dict)
    """The version token of every object read (rejected ones included), by key."""


def audit(
    bucket: ArticlesBucket, index: ArticleIndex, site: SiteBucket, config: SiteConfig, now: datetime
) -> list[Discrepancy]:
    """Every discrepancy between bucket, index and feeds, sorted; empty when all agree."""
    sources = index.all_sources()
    reports = bucket.report_keys()
    contents = _read_bucket(bucket, config)
    articles = _owners(contents.valid, index)
    rejected = contents.rejected | ({a.key for a in contents.valid} - {a.key for a in articles})
    articles += _kept_versions(rejected, sources, index)
    found = _audit_objects(contents.versions, rejected, sources, reports)
    found += _audit_orphans(sources, contents.versions.keys() | rejected)
    for feed in _feeds_to_audit(articles, index, config, now):
        found += _audit_feed(feed, articles, site, config, now)
    return sorted(found, key=lambda d: (d.kind, d.where, d.detail))


def _read_bucket(bucket: ArticlesBucket, config: SiteConfig) -> _BucketContents:
    """Read and validate every article object, as ingest would."""
    contents = _BucketContents()
    for key in sorted(k for k in bucket.list_article_keys() if is_article_key(k)):
        try:
            stored = bucket.read(key)
            if stored is None:
                continue  # deleted while listing
            contents.versions[key] = stored.version.token
            contents.valid.append(parse_article(key, stored.data, config))
        except ArticleError:
            contents.rejected.add(key)
    return contents


def _audit_objects(
    versions: dict[str, str], rejected: set[str], sources: dict[str, SourceState], reports: set[str]
) -> list[Discrepancy]:
    """Each object against its index entry and its report: a rejected one needs a report, a good
    one an entry of its current version and no report."""
    found: list[Discrepancy] = []
    for key in sorted(versions.keys() | rejected):
        source = sources.get(key)
        if key in rejected:
            if key not in reports:
                found.append(Discrepancy("missing report", key, "the article is rejected but has no report"))
            continue
        if source is None or not source.article_id:
            found.append(Discrepancy("not indexed", key, "the object has no index entry"))
        elif source.version != versions[key]:
            found.append(Discrepancy("stale index", key, "the index holds an older version of the object"))
        if key in reports:
            found.append(Discrepancy("stale report", key, "the article is fine but its report remains"))
    return found


def _audit_orphans(sources: dict[str, SourceState], objects: set[str]) -> list[Discrepancy]:
    """Index entries listing an article whose object is gone."""
    return [
        Discrepancy("orphan entry", key, "the index lists an object that does not exist")
        for key, source in sources.items()
        if key not in objects and source.article_id
    ]


def _feeds_to_audit(
    articles: list[Article], index: ArticleIndex, config: SiteConfig, now: datetime
) -> list[str]:
    """The site's feed, every feed with a listed article, and every feed ever published."""
    feeds = {SITE_FEED} | {feed for a in articles if a.is_listed(now) for feed in feeds_of(a, config)}
    feeds |= set(index.publish_state().revs)
    return sorted((feed for feed in feeds if not is_month_feed(feed)), key=feed_order)  # feed sets only


def _kept_versions(rejected: set[str], sources: dict[str, SourceState], index: ArticleIndex) -> list[Article]:
    """A rejected replacement leaves the last good version of its key in the feeds, by design."""
    ids = {sources[key].article_id: key for key in rejected if key in sources and sources[key].article_id}
    kept = index.get_articles(ids)
    return [article for article_id, article in kept.items() if ids[article_id] == article.key]


def _owners(valid: list[Article], index: ArticleIndex) -> list[Article]:
    """One article per id: the one the index says owns it (first come), else the first by key."""
    by_id: dict[str, list[Article]] = {}
    for article in valid:
        by_id.setdefault(article.id, []).append(article)
    kept = []
    for article_id, claimants in by_id.items():
        if len(claimants) == 1:
            kept.append(claimants[0])
            continue
        owner = index.owner_of(article_id)
        kept.append(next((a for a in claimants if a.key == owner), claim_ids(claimants)[0][0]))
    return kept


def _audit_feed(
    feed: str, articles: list[Article], site: SiteBucket, config: SiteConfig, now: datetime
) -> list[Discrepancy]:
    spec = spec_for(feed, config)
    expected = select_items(articles, spec, config, now)
    where = spec.key(JSON_FEED_FILE)
    body = site.read(where)
    if body is None:
        return [Discrepancy("missing feed", where, "not published")] if expected else []
    published = {item["id"]: item for item in json.loads(body).get("items", [])}
    problems = []
    for article in expected:
        item = published.pop(spec.item_id(article), None)
        if item is None:
            problems.append(Discrepancy("missing item", where, f"{article.id} ({article.key})"))
        elif item.get("date_modified") != article.modified.isoformat() or item.get("title") != article.title:
            problems.append(Discrepancy("stale item", where, f"{article.id} ({article.key})"))
    for item_id in published:
        problems.append(Discrepancy("extra item", where, item_id.rsplit("/", 1)[-1]))
    return problems
