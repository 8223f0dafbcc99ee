"""Disaster-recovery drills on the template's stack (docs/operations.md, "Disaster recovery").

The example site is published with tag, author and partner feeds, sitemaps and most-viewed feeds
over a day of page views. Then the table is lost (deleted and recreated empty, as the runbook does)
and rebuilt with `feedpub backfill` and `feedpub views import` over the logs still in the logs
bucket; or the site bucket is lost and refilled with `feedpub republish`. Every object the site
bucket held must come back byte for byte, with the same headers, and `feedpub audit` must be clean.
What cannot come back, page views whose logs expired, shows up exactly where those views ranked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedpub_cli.main import main
from tests.support.logs import Hit, make_log
from tests.support.paths import EXAMPLES
from tests.support.pipeline import (
    Pipeline,
    ViewsPipeline,
    moto_pipeline,
    snapshot_tables_once_per_transaction,
)

# The examples' feedpub.toml, as template parameters.
EXAMPLE_SITE = {
    "SiteTitle": "The Harbour Herald",
    "SiteDescription": "News from Port Ellis and the world, from The Harbour Herald.",
    "SiteLanguage": "en-GB",
    "TagFeeds": "Economy,Ports,Diplomacy,Transport",
    "AuthorFeeds": "Mara Lindqvist,Priyanka Sethi,Declan Moffatt",
    "ItemsPerKind": "tag=20,author=20,partner=30",
    "Partners": "google-news,apple-news,flipboard,msn,smartnews",
    "SiteLogoUrl": "https://www.example.com/logo.png",
}
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
"""The drill's clock (the page views are dated from it): the real one, which the ingest and scheduled
functions read, so that every file is published as of the same moment before and after."""
OLD_READER = "marathon-record"
"""The story read three days ago only, in the log file that expires before the restore."""


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[ViewsPipeline]:
    snapshot_tables_once_per_transaction(monkeypatch)
    with moto_pipeline(monkeypatch, EXAMPLE_SITE) as pipeline:
        vp = ViewsPipeline(pipeline)
        publish_examples(vp)
        yield vp


def publish_examples(vp: ViewsPipeline) -> None:
    """Upload the examples, count two log files of page views, rank the most-viewed feeds at NOW."""
    pipeline = vp.pipeline
    for path in sorted(p for p in (EXAMPLES / "articles").rglob("*") if p.is_file()):
        pipeline.upload(f"articles/{path.relative_to(EXAMPLES / 'articles').as_posix()}", path.read_bytes())
    assert pipeline.deliver() == {"batchItemFailures": []}
    urls = [item["url"] for item in pipeline.feed()["items"] if OLD_READER not in item["url"]]
    pages = [url.removeprefix(pipeline.config.base_url) for url in urls]
    recent = [Hit(NOW - timedelta(minutes=5 + i), pages[i % 7]) for i in range(40)]
    old = [Hit(NOW - timedelta(days=3, minutes=i), f"/sport/{OLD_READER}") for i in range(25)]
    vp.put_log(log_key(NOW - timedelta(hours=1)), make_log(recent))
    vp.put_log(log_key(NOW - timedelta(days=3)), make_log(old))
    assert vp.deliver() == {"batchItemFailures": []}
    assert vp.publish(NOW)["written"]


def log_key(start: datetime) -> str:
    return f"pages/E2QWRUHAPOMQZL.{start:%Y-%m-%d-%H}.a1b2c3d4.gz"


def site_objects(pipeline: Pipeline) -> dict[str, tuple[bytes, str, str, dict[str, str]]]:
    """Every object of the site bucket: body, Content-Type, Cache-Control, user metadata."""
    found = {}
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(Bucket=pipeline.site_bucket):
        for item in page.get("Contents", []):
            got = pipeline.site_object(item["Key"])
            found[item["Key"]] = (got["Body"].read(), got.get("ContentType", ""), got.get("CacheControl", ""),
                                  got.get("Metadata", {}))  # fmt: skip
    return found


def cli(*arguments: str) -> Any:
    return CliRunner().invoke(main, list(arguments), env=dict(os.environ), catch_exceptions=False)


def lose_the_table(pipeline: Pipeline) -> None:
    """Someone turns deletion protection off and deletes the table."""
    pipeline.dynamodb.update_table(TableName=pipeline.table, DeletionProtectionEnabled=False)
    pipeline.dynamodb.delete_table(TableName=pipeline.table)


def recreate_the_table(pipeline: Pipeline) -> None:
    """What the runbook does (a stack cannot recreate a resource deleted behind its back): the same
    name, with the template's keys, billing, encryption, protection, TTL and point-in-time recovery."""
    properties = pipeline.stack.resolve(pipeline.stack.resource("ArticlesTable")["Properties"])
    pipeline.dynamodb.create_table(
        TableName=pipeline.table,
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        BillingMode=properties["BillingMode"],
        SSESpecification={"Enabled": properties["SSESpecification"]["SSEEnabled"]},
        DeletionProtectionEnabled=properties["DeletionProtectionEnabled"],
    )
    ttl = properties["TimeToLiveSpecification"]
    pipeline.dynamodb.update_time_to_live(
        TableName=pipeline.table,
        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]},
    )
    pipeline.dynamodb.update_continuous_backups(
        TableName=pipeline.table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def download_logs(vp: ViewsPipeline, into: Path) -> list[str]:
    """`aws s3 sync s3://<LogsBucketName>/pages/ logs/`: the logs still in the bucket."""
    s3 = vp.pipeline.s3
    paths = []
    for item in s3.list_objects_v2(Bucket=vp.logs_bucket, Prefix="pages/").get("Contents", []):
        path = into / item["Key"].rsplit("/", 1)[-1]
        path.write_bytes(s3.get_object(Bucket=vp.logs_bucket, Key=item["Key"])["Body"].read())
        paths.append(str(path))
    return paths


def restore_the_table(vp: ViewsPipeline, tmp_path: Path) -> None:
    pipeline = vp.pipeline
    recreate_the_table(pipeline)
    backfill = cli("backfill", "--articles-bucket", pipeline.articles_bucket, "--site-bucket",
                   pipeline.site_bucket, "--table", pipeline.table, "--workers", "1")  # fmt: skip
    assert backfill.exit_code == 0, backfill.output
    logs = download_logs(vp, tmp_path)
    imported = cli("views", "import", *logs, "--table", pipeline.table)
    assert imported.exit_code == 0, imported.output
    vp.publish(NOW)  # the next scheduled most-viewed run


def assert_audit_is_clean(pipeline: Pipeline) -> None:
    audit = cli("audit", "--articles-bucket", pipeline.articles_bucket, "--site-bucket", pipeline.site_bucket,
                "--table", pipeline.table)  # fmt: skip
    assert (audit.exit_code, audit.output.splitlines()[-1]) == (0, "0 discrepancies"), audit.output


def test_a_lost_table_is_rebuilt_and_every_output_comes_back_byte_for_byte(
    site: ViewsPipeline, tmp_path: Path
) -> None:
    pipeline = site.pipeline
    before = site_objects(pipeline)
    kinds = {key.split("/")[1] for key in before if key.startswith("feeds/") and key.count("/") > 2}
    assert {"tags", "authors", "partners"} <= kinds and any(k.startswith("sitemaps/") for k in before)
    lose_the_table(pipeline)
    restore_the_table(site, tmp_path)
    assert site_objects(pipeline) == before
    assert_audit_is_clean(pipeline)
    # Restored, the stack runs as before: the scheduled runs find nothing to write.
    from tests.support.pipeline import scheduled_publish

    assert scheduled_publish()["written"] == []
    assert site.publish(NOW)["written"] == []


def test_views_whose_logs_expired_cannot_come_back_and_show_where_they_ranked(
    site: ViewsPipeline, tmp_path: Path
) -> None:
    pipeline = site.pipeline
    before = site_objects(pipeline)
    # The lifecycle rule (AccessLogRetentionDays) expired the three-day-old log before the loss.
    site.pipeline.s3.delete_object(Bucket=site.logs_bucket, Key=log_key(NOW - timedelta(days=3)))
    lose_the_table(pipeline)
    restore_the_table(site, tmp_path)
    after = site_objects(pipeline)
    assert set(after) == set(before)
    differ = sorted(key for key in before if after[key] != before[key])
    # Only the 7-day rankings held those views: the site's and the story's section's.
    assert differ == ["feeds/most-viewed-7d.json", "feeds/sport/most-viewed-7d.json"]
    for key in differ:
        assert OLD_READER in before[key][0].decode() and OLD_READER not in after[key][0].decode()
    assert_audit_is_clean(pipeline)


def test_a_lost_site_bucket_is_refilled_from_the_index(site: ViewsPipeline) -> None:
    pipeline = site.pipeline
    before = site_objects(pipeline)
    for key in before:
        pipeline.s3.delete_object(Bucket=pipeline.site_bucket, Key=key)
    pipeline.s3.delete_bucket(Bucket=pipeline.site_bucket)
    pipeline.s3.create_bucket(Bucket=pipeline.site_bucket)
    # Neither the schedule nor a backfill writes a file the index records as published.
    from tests.support.pipeline import scheduled_publish

    assert scheduled_publish()["written"] == [] and site.publish(NOW)["written"] == []
    republish = cli("republish", "--site-bucket", pipeline.site_bucket, "--table", pipeline.table,
                    "--now", NOW.isoformat())  # fmt: skip
    assert republish.exit_code == 0, republish.output
    assert site_objects(pipeline) == before
    assert_audit_is_clean(pipeline)
    assert scheduled_publish()["written"] == []
