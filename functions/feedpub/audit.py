"""`feedpub audit`: reconcile the articles bucket, the index and the published feeds.

The bucket is the truth. Every article is read and validated again, and the result is compared
with what the index recorded and with what the feeds show. This reads everything (it lists the
bucket and scans the table), so it is an operator's tool for after incidents and for tests, never
part of the hot path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from feedpub.article import Article, parse_article
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import SITE_FEED, ArticleIndex, SourceState
from feedpub.aws.site_bucket import SiteBucket
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.events import is_article_key_name
from feedpub.feeds import select_items
from feedpub.publish import SECTION_PREFIX, spec_for
from feedpub.site import claim_ids


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One way the index or the feeds differ from the bucket."""

    kind: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


def audit(
    bucket: ArticlesBucket, index: ArticleIndex, site: SiteBucket, config: SiteConfig, now: datetime
) -> list[Discrepancy]:
    """Every discrepancy between bucket, index and feeds, sorted; empty when all agree."""
    found: list[Discrepancy] = []
    sources = index.all_sources()
    reports = bucket.report_keys()
    valid: list[Article] = []
    rejected: set[str] = set()
    versions: dict[str, str] = {}
    for key in sorted(k for k in bucket.list_article_keys() if is_article_key_name(k)):
        try:
            stored = bucket.read(key)
            if stored is None:
                continue  # deleted while listing
            versions[key] = stored.version.token
            valid.append(parse_article(key, stored.data, config))
        except ArticleError:
            rejected.add(key)
    articles = _owners(valid, index)
    rejected |= {a.key for a in valid} - {a.key for a in articles}  # claimants of a taken id
    articles += _kept_versions(rejected, sources, index)
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
    for key, source in sources.items():
        if key not in versions and key not in rejected and source.article_id:
            found.append(Discrepancy("orphan entry", key, "the index lists an object that does not exist"))
    feeds = {SITE_FEED} | {f"{SECTION_PREFIX}{a.section}" for a in articles if a.is_listed(now)}
    feeds |= {f for f in index.publish_state().revs if f.startswith(SECTION_PREFIX)}
    for feed in sorted(feeds):
        found += _audit_feed(feed, articles, site, config, now)
    return sorted(found, key=lambda d: (d.kind, d.where, d.detail))


def _kept_versions(
    rejected: set[str], sources: dict[str, SourceState], index: ArticleIndex
) -> list[Article]:
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
    expected = select_items(articles, spec, now, config.items_per_feed)
    body = site.read(spec.key("feed.json"))
    if body is None:
        return [Discrepancy("missing feed", spec.key("feed.json"), "not published")] if expected else []
    published = {item["id"]: item for item in json.loads(body).get("items", [])}
    problems = []
    for article in expected:
        item = published.pop(spec.item_id(article), None)
        if item is None:
            problems.append(
                Discrepancy("missing item", spec.key("feed.json"), f"{article.id} ({article.key})")
            )
        elif item.get("date_modified") != article.modified.isoformat() or item.get("title") != article.title:
            problems.append(Discrepancy("stale item", spec.key("feed.json"), f"{article.id} ({article.key})"))
    for item_id in published:
        problems.append(Discrepancy("extra item", spec.key("feed.json"), item_id.rsplit("/", 1)[-1]))
    return problems
