"""The whole path on the template's stack in moto: S3 put -> the SQS message moto delivered ->
handler -> feeds read back."""

from __future__ import annotations

import json

import feedparser
import pytest

from tests.support.convergence import assert_converged
from tests.support.events import article
from tests.support.pipeline import EditedPipeline, Pipeline


def test_new_article_appears_in_site_and_section_feeds(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/ferry-talks.md", article("Ferry talks resume"))
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert pipeline.feed_ids() == ["ferry-talks"]
    assert pipeline.feed_ids("feeds/world/feed.json") == ["ferry-talks"]
    for key in ("feeds/rss.xml", "feeds/atom.xml", "feeds/world/rss.xml", "feeds/world/atom.xml"):
        parsed = feedparser.parse(pipeline.site_object(key)["Body"].read())
        assert parsed.bozo == 0 and [e.title for e in parsed.entries] == ["Ferry talks resume"]
    head = pipeline.site_object("feeds/rss.xml")
    assert head["ContentType"] == "application/rss+xml; charset=utf-8"
    assert head["CacheControl"] == pipeline.config.cache_control
    assert pipeline.site_object("feeds/atom.xml")["ContentType"] == "application/atom+xml; charset=utf-8"
    assert pipeline.site_object("feeds/feed.json")["ContentType"] == "application/feed+json; charset=utf-8"
    assert pipeline.status_tag("articles/world/ferry-talks.md") == "published"


def test_replace_changes_item_in_place_and_delete_removes_it(pipeline: Pipeline) -> None:
    key = "articles/world/ferry-talks.md"
    pipeline.upload(key, article("Ferry talks resume"))
    pipeline.deliver()
    first = pipeline.feed()["items"][0]
    pipeline.upload(key, article("Ferry talks resume after storm", updated="2026-11-21T09:00:00+07:00"))
    pipeline.deliver()
    [second] = pipeline.feed()["items"]
    assert second["id"] == first["id"]
    assert second["title"] == "Ferry talks resume after storm"
    assert second["date_modified"] > first["date_modified"]
    pipeline.delete(key)
    pipeline.deliver()
    assert pipeline.feed_ids() == [] and pipeline.feed_ids("feeds/world/feed.json") == []


def test_draft_and_moved_articles_leave_their_feeds(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.upload("articles/world/b.md", article("B", published="2026-11-21T08:00:00+07:00"))
    pipeline.deliver()
    assert pipeline.feed_ids() == ["b", "a"]
    pipeline.upload("articles/world/a.md", article("A", draft=True))
    pipeline.upload(
        "articles/world/b.md", article("B", published="2026-11-21T08:00:00+07:00", section="Sport")
    )
    pipeline.deliver()
    assert pipeline.feed_ids() == ["b"]
    assert pipeline.feed_ids("feeds/world/feed.json") == []
    assert pipeline.feed_ids("feeds/sport/feed.json") == ["b"]
    assert pipeline.status_tag("articles/world/a.md") == "draft"


def test_bad_article_reports_and_leaves_feeds_alone(pipeline: Pipeline) -> None:
    key = "articles/world/ferry-talks.md"
    pipeline.upload(key, article("Ferry talks resume"))
    pipeline.upload("articles/world/other.md", article("Other", published="2026-11-19T08:00:00+07:00"))
    pipeline.deliver()
    before = pipeline.site_object("feeds/rss.xml")["Body"].read()
    pipeline.upload(key, "---\ntitle: Broken\npublished: 2022-02-15 08:00\n---\nBody\n")
    pipeline.upload("articles/world/third.md", article("Third", published="2026-11-18T08:00:00+07:00"))
    assert pipeline.deliver() == {"batchItemFailures": []}
    report = pipeline.report(key)
    assert report is not None and report["status"] == "rejected"
    assert report["problems"][0]["field"] == "published"
    assert "has no time zone" in report["problems"][0]["message"]
    assert pipeline.status_tag(key) == "rejected"
    # The good version stays published; the other article of the batch is published.
    assert pipeline.feed_ids() == ["ferry-talks", "other", "third"]
    assert pipeline.feed()["items"][0]["title"] == "Ferry talks resume"
    assert before != pipeline.site_object("feeds/rss.xml")["Body"].read()  # 'third' was added
    pipeline.upload(key, article("Ferry talks resume, fixed"))
    pipeline.deliver()
    assert pipeline.report(key) is None
    assert pipeline.feed()["items"][0]["title"] == "Ferry talks resume, fixed"


def test_embargoed_article_is_indexed_but_released_only_when_due(pipeline: Pipeline) -> None:
    from datetime import datetime

    pipeline.upload("articles/business/outlook.md", article("Outlook", published="2031-01-01T09:00:00+00:00"))
    pipeline.deliver()
    assert pipeline.feed_ids() == []
    assert pipeline.status_tag("articles/business/outlook.md") == "embargoed"
    publisher = pipeline.publisher()
    publisher.publish(datetime.fromisoformat("2031-01-01T09:00:01+00:00"), force=publisher.known_feeds())
    assert pipeline.feed_ids() == ["outlook"]
    assert pipeline.feed_ids("feeds/business/feed.json") == ["outlook"]


@pytest.mark.parametrize(
    "key",
    [
        "articles/world/café opening + more (1).md",
        "articles/business/rates up 50% today.md",
        "articles/business/literal %2B and %20.md",
        "articles/sport/🏆 cup final 🎉.md",
        "articles/world/a+b=c & d's #1 ~story~.md",
    ],
)
def test_url_encoded_keys(pipeline: Pipeline, key: str) -> None:
    pipeline.upload(key, article("Café opening", id="cafe-opening"))
    records = pipeline.receive()
    raw_keys = [
        record["s3"]["object"]["key"]
        for message in records
        for record in json.loads(message["body"]).get("Records", [])
    ]
    assert raw_keys and all(" " not in k for k in raw_keys)  # the event carries the encoded key
    pipeline.invoke(records)
    assert pipeline.feed_ids() == ["cafe-opening"]
    assert pipeline.status_tag(key) == "published"


def test_unchanged_feeds_are_not_rewritten(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.deliver()
    etag = pipeline.site_object("feeds/rss.xml")["ETag"]
    pipeline.upload("articles/world/a.md", article("A"))  # same bytes, new version
    pipeline.deliver()
    assert pipeline.site_object("feeds/rss.xml")["ETag"] == etag
    versions = pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket, Prefix="feeds/")["KeyCount"]
    assert versions == 8  # rss, atom, json and the HTML page, for the site and the section
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.articles_bucket, Prefix="reports/")["KeyCount"] == 0


def test_records_reach_the_handler_in_the_template_s_batch_size(pipeline: Pipeline) -> None:
    assert pipeline.batch_size == 10  # the IngestFunction's event source mapping
    for n in range(12):
        pipeline.upload(f"articles/world/story-{n}.md", article(f"Story {n}"))
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert len(pipeline.handled) == 2  # 10 records, then 2


def test_a_template_with_a_smaller_batch_size_gives_the_function_smaller_batches(
    edited_pipeline: EditedPipeline,
) -> None:
    """On a copy of template.yaml whose event source mapping hands the function 3 records at most."""
    mapping = ("Resources", "IngestFunction", "Properties", "Events", "ArticleChanges", "Properties")
    pipeline = edited_pipeline({(*mapping, "BatchSize"): 3})
    assert pipeline.batch_size == 3
    for n in range(7):
        pipeline.upload(
            f"articles/world/story-{n}.md", article(f"Story {n}", f"2026-11-{10 + n}T08:00:00+07:00")
        )
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert len(pipeline.handled) == 3  # 3, 3 and 1 records
    assert pipeline.feed_ids() == [f"story-{n}" for n in reversed(range(7))]
    assert_converged(pipeline)
