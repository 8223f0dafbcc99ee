"""Whether the pipeline converged: the feeds list exactly what the articles bucket holds (the
source of truth), worked out from the bucket alone, and the operators' audit agrees."""

from __future__ import annotations

from datetime import datetime

from feedpub.aws.articles_bucket import ArticlesBucket
from tests.support.pipeline import Pipeline


def expected_feeds(pipeline: Pipeline, now: datetime | None = None) -> dict[str, list[tuple[str, str]]]:
    """What every feed should list, from the articles bucket alone (the source of truth).

    Lists the bucket, parses each article as the pipeline does and keeps the listed ones (not
    drafts, not embargoed at `now`), grouped into the site feed (`feeds/feed.json`) and each
    section's (`feeds/<section>/feed.json`), newest first, as (id, title). Where two objects claim
    one id, the id's owner in the index keeps it (the other is rejected with a report). Where a
    good article was replaced by a bad one, the good version stays listed (by design).
    """
    from feedpub.article import Article, parse_article
    from feedpub.clock import utc_now
    from feedpub.errors import ArticleError
    from feedpub.names import is_article_key

    now = now or utc_now()
    by_id: dict[str, list[Article]] = {}
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(
        Bucket=pipeline.articles_bucket, Prefix="articles/"
    ):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not is_article_key(key):
                continue
            data = pipeline.s3.get_object(Bucket=pipeline.articles_bucket, Key=key)["Body"].read()
            try:
                parsed = parse_article(key, data, pipeline.config)
            except ArticleError:
                # A rejected replacement leaves the key's last good version in the feeds.
                source = pipeline.index.get_source(key)
                if source is None or not source.article_id:
                    continue
                parsed = pipeline.index.get_articles([source.article_id])[source.article_id]
            by_id.setdefault(parsed.id, []).append(parsed)
    listed: list[Article] = []
    for article_id, claims in by_id.items():
        if len(claims) > 1:
            owner = pipeline.index.owner_of(article_id)
            claims = [claim for claim in claims if claim.key == owner]
            assert claims, f"{article_id!r} is claimed by several objects but owned by none of them"
        if claims[0].is_listed(now):
            listed.append(claims[0])
    listed.sort(key=lambda a: a.sort_key(), reverse=True)
    limit = pipeline.config.items_per_feed
    feeds = {"feeds/feed.json": [(a.id, a.title) for a in listed[:limit]]}
    for section in sorted({a.section for a in listed}):
        feeds[f"feeds/{section}/feed.json"] = [(a.id, a.title) for a in listed if a.section == section][
            :limit
        ]
    return feeds


def published_feeds(pipeline: Pipeline) -> dict[str, list[tuple[str, str]]]:
    """Every JSON feed in the site bucket as (id, title) items, in feed order."""
    feeds: dict[str, list[tuple[str, str]]] = {}
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(
        Bucket=pipeline.site_bucket, Prefix="feeds/"
    ):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/feed.json"):
                feed = pipeline.feed(item["Key"])
                feeds[item["Key"]] = [(i["id"].rsplit("/", 1)[-1], i["title"]) for i in feed["items"]]
    return feeds


def assert_converged(pipeline: Pipeline, now: datetime | None = None) -> None:
    """The published feeds list exactly what the articles bucket holds: no article missing, none
    extra or stale (titles are compared too), no duplicates; a section left empty has an empty feed
    (or none, if it never had a listed article)."""
    expected = expected_feeds(pipeline, now)
    published = published_feeds(pipeline)
    for key, items in published.items():
        ids = [article_id for article_id, _ in items]
        assert len(ids) == len(set(ids)), f"{key} lists an item twice: {ids}"
        assert items == expected.get(key, []), f"{key} does not match the bucket"
    missing = {key: items for key, items in expected.items() if items and key not in published}
    assert not missing, f"feeds never published: {missing}"
    # And the operators' audit, which also checks the index and the reports, finds nothing.
    from feedpub.audit import audit
    from feedpub.clock import utc_now

    bucket = ArticlesBucket(pipeline.articles_bucket, pipeline.s3)
    discrepancies = audit(bucket, pipeline.index, pipeline.site(), pipeline.config, now or utc_now())
    assert [str(d) for d in discrepancies] == []
