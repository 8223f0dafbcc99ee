"""An index entry whose object is gone (its deletion's event was lost): `feedpub audit` finds it,
`feedpub backfill` takes it out of the index and the feeds, and the audit is clean after."""

from __future__ import annotations

from feedpub.audit import audit
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.clock import utc_now
from tests.support.events import article
from tests.support.pipeline import Pipeline, run_backfill

FERRY = "articles/world/ferry.md"
BROKEN = "articles/world/broken.md"


def run_audit(pipeline: Pipeline) -> list[str]:
    bucket = ArticlesBucket(pipeline.articles_bucket, pipeline.s3)
    return [str(d) for d in audit(bucket, pipeline.index, pipeline.site(), pipeline.config, utc_now())]


def test_backfill_removes_orphans_from_the_index_and_the_feeds(pipeline: Pipeline) -> None:
    pipeline.upload(FERRY, article("Ferry talks resume"))
    pipeline.upload("articles/sport/regatta.md", article("Regatta postponed", "2026-11-19T08:00:00+07:00"))
    pipeline.upload(BROKEN, "---\ntitle: Broken\n---\nno date\n")
    pipeline.deliver()
    assert pipeline.feed_ids() == ["ferry", "regatta"]
    assert pipeline.report(BROKEN) is not None
    # Both objects go and no event reaches the ingest function (lost, or drained unread).
    for key in (FERRY, BROKEN):
        pipeline.s3.delete_object(Bucket=pipeline.articles_bucket, Key=key)
    pipeline.receive()

    assert run_audit(pipeline) == [
        "extra item: feeds/feed.json: ferry",
        "extra item: feeds/world/feed.json: ferry",
        "orphan entry: articles/world/ferry.md: the index lists an object that does not exist",
    ]
    output = run_backfill(pipeline)
    assert "backfill: 2 deleted (orphan), 1 unchanged; 0 failed" in output
    assert pipeline.feed_ids() == ["regatta"]
    assert pipeline.feed_ids("feeds/world/feed.json") == []
    assert pipeline.index.get_source(FERRY) is None and pipeline.index.get_source(BROKEN) is None
    assert pipeline.report(BROKEN) is None  # the report of a rejected article that is gone, too
    assert run_audit(pipeline) == []
