"""Sitemaps on the template's stack in moto: the same bytes as a build, only the touched month
rewritten, the news sitemap aged out by the scheduled run, and only recent months re-queried."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from feedpub.aws import clients
from feedpub.build import collect_articles
from feedpub.site import render_site
from tests.support.clock import NOW
from tests.support.events import article
from tests.support.paths import EXAMPLES
from tests.support.pipeline import Pipeline, scheduled_publish
from tests.support.sitemaps import assert_valid_sitemap, locs


@contextmanager
def queried_partitions(dynamodb: Any) -> Iterator[list[str]]:
    """The partition of every Query made through a DynamoDB client meanwhile."""
    seen: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(params["ExpressionAttributeValues"][":pk"]["S"])

    events = dynamodb.meta.events
    events.register("before-parameter-build.dynamodb.Query", record)
    try:
        yield seen
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", record)


def sitemap_bodies(pipeline: Pipeline) -> dict[str, bytes]:
    listing = pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket, Prefix="sitemaps/")
    keys = [item["Key"] for item in listing.get("Contents", [])]
    return {key: pipeline.site_object(key)["Body"].read() for key in keys}


def upload_and_publish(pipeline: Pipeline, key: str, now: Any = NOW) -> list[str]:
    """What the ingest handler does for one upload, returning the sitemap files the publish wrote."""
    outcome = pipeline.ingestor().ingest(key, now)
    result = pipeline.publisher().publish(now, changed=outcome.feeds)
    return sorted(k for k in result.written + result.deleted if k.startswith("sitemaps/"))


def test_the_pipeline_writes_the_same_sitemaps_as_a_build(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("handlers.ingest.utc_now", lambda: NOW)
    for path in sorted((EXAMPLES / "articles").rglob("*.*")):
        pipeline.upload(path.relative_to(EXAMPLES).as_posix(), path.read_bytes())
    assert pipeline.deliver() == {"batchItemFailures": []}
    articles, errors = collect_articles(EXAMPLES, pipeline.config)
    assert errors == []
    built = {
        f.key: f.body for f in render_site(articles, pipeline.config, NOW) if f.key.startswith("sitemaps/")
    }
    published = sitemap_bodies(pipeline)
    assert sorted(published) == sorted(built) == [
        "sitemaps/articles-2026-11.xml", "sitemaps/index.xml", "sitemaps/news.xml",
    ]  # fmt: skip
    for key, body in published.items():
        assert body == built[key], f"{key}: the pipeline and a build differ"
        assert_valid_sitemap(key, body)
    assert pipeline.site_object("sitemaps/news.xml")["ContentType"] == "application/xml; charset=utf-8"
    news = locs(published["sitemaps/news.xml"])
    assert news and not any("embargo" in url or "draft" in url for url in news)


def test_an_upload_rewrites_only_its_month_and_queries_no_other(pipeline: Pipeline) -> None:
    november, october = "articles/world/harbour.md", "articles/world/ferry.md"
    pipeline.upload(november, article("Harbour reopens", published="2026-11-25T08:00:00+07:00"))
    assert upload_and_publish(pipeline, november) == [
        "sitemaps/articles-2026-11.xml", "sitemaps/index.xml", "sitemaps/news.xml",
    ]  # fmt: skip
    pipeline.upload(october, article("Ferry & <port> talks", published="2026-10-02T08:00:00+07:00"))
    with queried_partitions(pipeline.dynamodb) as seen:
        written = upload_and_publish(pipeline, october)
    assert written == ["sitemaps/articles-2026-10.xml", "sitemaps/index.xml"]  # news.xml unchanged
    assert sorted(pk for pk in seen if pk.startswith("FEED#month#")) == [
        "FEED#month#2026-10",
        "FEED#month#2026-11",
    ]
    # (2026-10 for its sitemap, 2026-11 for the news sitemap's window; nothing else.)
    pipeline.upload(october, article("Ferry & <port> talks", published="2026-10-02T08:00:00+07:00",
                                     updated="2026-11-01T08:00:00+07:00"))  # fmt: skip
    assert upload_and_publish(pipeline, october) == ["sitemaps/articles-2026-10.xml", "sitemaps/index.xml"]
    bodies = sitemap_bodies(pipeline)
    for key, body in bodies.items():
        assert_valid_sitemap(key, body)
    assert b"<lastmod>2026-11-01T08:00:00+07:00</lastmod>" in bodies["sitemaps/index.xml"]
    # A takedown empties October: its file goes, and the index lists November alone.
    pipeline.delete(october)
    assert upload_and_publish(pipeline, october) == ["sitemaps/articles-2026-10.xml", "sitemaps/index.xml"]
    assert sorted(sitemap_bodies(pipeline)) == [
        "sitemaps/articles-2026-11.xml", "sitemaps/index.xml", "sitemaps/news.xml",
    ]  # fmt: skip
    assert [
        url.rsplit("/", 1)[1] for url in locs(pipeline.site_object("sitemaps/index.xml")["Body"].read())
    ] == ["articles-2026-11.xml"]


def test_the_scheduled_run_ages_stories_out_and_releases_embargoes_from_recent_months_only(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh, old, embargoed = "articles/world/fresh.md", "articles/world/old.md", "articles/world/later.md"
    pipeline.upload(fresh, article("Fresh", published=(NOW - timedelta(hours=47)).isoformat()))
    pipeline.upload(old, article("Old", published="2026-08-14T08:00:00+07:00"))
    pipeline.upload(embargoed, article("Later", published=(NOW + timedelta(hours=1)).isoformat()))
    for key in (fresh, old, embargoed):
        upload_and_publish(pipeline, key)
    assert [u.rsplit("/", 1)[1] for u in locs(pipeline.site_object("sitemaps/news.xml")["Body"].read())] == [
        "fresh"
    ]
    runs = iter([NOW + timedelta(hours=2), NOW + timedelta(hours=2, minutes=5)])
    monkeypatch.setattr("handlers.scheduled.utc_now", lambda: next(runs))
    with queried_partitions(clients.client("dynamodb")) as seen:
        first = scheduled_publish()
    assert "sitemaps/news.xml" in first["written"] and "sitemaps/articles-2026-11.xml" in first["written"]
    news = pipeline.site_object("sitemaps/news.xml")["Body"].read()
    assert_valid_sitemap("sitemaps/news.xml", news)
    assert [u.rsplit("/", 1)[1] for u in locs(news)] == ["later"]  # 'fresh' aged out, 'later' released
    assert "FEED#month#2026-11" in seen and "FEED#month#2026-08" not in seen  # old months: never
    assert scheduled_publish()["written"] == []  # nothing changed: nothing written


def test_reingesting_an_article_indexed_before_the_archives_adds_its_month(pipeline: Pipeline) -> None:
    """How `feedpub backfill` migrates an older index: an unchanged object whose recorded entries
    lack the month archive's is committed again."""
    key = "articles/world/harbour.md"
    pipeline.upload(key, article("Harbour reopens"))
    upload_and_publish(pipeline, key)
    # The index as the previous version left it: no month entry, and none recorded on the SRC item.
    pipeline.dynamodb.delete_item(
        TableName=pipeline.table,
        Key={"pk": {"S": "FEED#month#2026-11"}, "sk": {"S": "2026-11-20T01:00:00.000000Z#harbour"}},
    )
    pipeline.dynamodb.update_item(
        TableName=pipeline.table, Key={"pk": {"S": "SRC#" + key}, "sk": {"S": "SRC"}},
        UpdateExpression="DELETE entries :month",
        ExpressionAttributeValues={":month": {"SS": ["month#2026-11|2026-11-20T01:00:00.000000Z#harbour"]}},
    )  # fmt: skip
    outcome = pipeline.ingestor().ingest(key, NOW)
    assert outcome.status == "published" and "month#2026-11" in outcome.feeds
    assert pipeline.index.query_month("month#2026-11", NOW)[0].id == "harbour"
    # Unchanged from now on.
    assert pipeline.ingestor().ingest(key, NOW).status == "unchanged"
