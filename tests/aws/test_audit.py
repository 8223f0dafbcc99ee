"""`feedpub audit` finds every way the index and the feeds can differ from the bucket."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from feedpub.audit import audit
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.clock import utc_now
from feedpub_cli.main import main
from tests.support.events import article, s3_event
from tests.support.pipeline import Pipeline


def run_audit(pipeline: Pipeline) -> list[str]:
    bucket = ArticlesBucket(pipeline.articles_bucket, pipeline.s3)
    return [str(d) for d in audit(bucket, pipeline.index, pipeline.site(), pipeline.config, utc_now())]


def cli_audit(pipeline: Pipeline) -> tuple[int, str]:
    names = ["--articles-bucket", pipeline.articles_bucket, "--site-bucket", pipeline.site_bucket]
    result = CliRunner().invoke(main, ["audit", *names, "--table", pipeline.table], env=dict(os.environ))
    return result.exit_code, result.output


def test_a_converged_pipeline_audits_clean(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.upload("articles/sport/b.md", article("B", published="2026-11-21T08:00:00+07:00"))
    pipeline.upload("articles/world/bad.md", "---\ntitle: Bad\n---\nno date\n")
    pipeline.upload("articles/world/draft.md", article("Draft", draft=True))
    pipeline.deliver()
    assert run_audit(pipeline) == []
    assert cli_audit(pipeline) == (0, "0 discrepancies\n")


def test_a_good_article_replaced_by_a_bad_one_stays_listed_and_audits_clean(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/ferry.md", article("Ferry talks resume"))
    pipeline.deliver()
    pipeline.upload("articles/world/ferry.md", "---\ntitle: Broken\npublished: 2022-02-15 08:00\n---\nBody\n")
    pipeline.deliver()

    assert pipeline.report("articles/world/ferry.md") is not None
    assert pipeline.feed_ids() == pipeline.feed_ids("feeds/world/feed.json") == ["ferry"]
    assert run_audit(pipeline) == []  # the feeds keep the last good version, by design


def test_every_kind_of_discrepancy_is_reported(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.upload("articles/world/gone.md", article("Gone", published="2026-11-19T08:00:00+07:00"))
    pipeline.upload("articles/world/bad.md", "---\ntitle: Bad\n---\nno date\n")
    pipeline.deliver()
    # Changes whose events were lost: a new article, an edit, a deletion, a fix, a new bad one.
    pipeline.upload("articles/sport/new.md", article("New", published="2026-11-22T08:00:00+07:00"))
    pipeline.upload("articles/world/a.md", article("A, edited", updated="2026-11-23T08:00:00+07:00"))
    pipeline.s3.delete_object(Bucket=pipeline.articles_bucket, Key="articles/world/gone.md")
    pipeline.upload("articles/world/bad.md", article("Bad, fixed"))
    pipeline.upload("articles/world/worse.md", "---\ntitle: Worse\n---\nno date\n")
    pipeline.receive()  # dropped on the floor

    found = run_audit(pipeline)
    expected_kinds = {
        "extra item: feeds/feed.json: gone",
        "extra item: feeds/world/feed.json: gone",
        "missing item: feeds/feed.json: bad (articles/world/bad.md)",
        "missing item: feeds/feed.json: new (articles/sport/new.md)",
        "missing feed: feeds/sport/feed.json: not published",
        "missing report: articles/world/worse.md: the article is rejected but has no report",
        "not indexed: articles/sport/new.md: the object has no index entry",
        "not indexed: articles/world/bad.md: the object has no index entry",
        "orphan entry: articles/world/gone.md: the index lists an object that does not exist",
        "stale index: articles/world/a.md: the index holds an older version of the object",
        "stale item: feeds/feed.json: a (articles/world/a.md)",
        "stale report: articles/world/bad.md: the article is fine but its report remains",
    }
    assert expected_kinds <= set(found), sorted(set(found))
    code, output = cli_audit(pipeline)
    assert code == 1 and f"{len(found)} discrepancies" in output

    # Redelivering the lost events (as a redrive or a backfill would) makes the audit clean again.
    lost = [("ObjectCreated:Put", key) for key in ("sport/new", "world/a", "world/bad", "world/worse")]
    for name, key in [*lost, ("ObjectRemoved:Delete", "world/gone")]:
        event = s3_event(name, f"articles/{key}.md", pipeline.articles_bucket)
        pipeline.sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(event))
    pipeline.deliver()
    assert run_audit(pipeline) == []
