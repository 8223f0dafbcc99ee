"""An in-process moto account with the pipeline's resources, and a driver that runs the ingest
handler on exactly the SQS messages moto delivered for real S3 uploads."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from feedpub.aws import clients
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.site_bucket import SiteBucket
from feedpub.config import SiteConfig
from feedpub.ingest import Ingestor
from feedpub.publish import Publisher
from feedpub.runtime import runtime

REGION = "us-east-1"
ARTICLES_BUCKET = "feedpub-test-articles"
SITE_BUCKET = "feedpub-test-site"
TABLE = "feedpub-test-articles-table"
SITE_ENV = {
    "FEEDPUB_TITLE": "The Harbour Herald",
    "FEEDPUB_BASE_URL": "https://www.example.com",
    "FEEDPUB_ITEMS_PER_FEED": "50",
}


@dataclass
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "IngestFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:IngestFunction"
    aws_request_id: str = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def aws_environment() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "feedpub",
        "POWERTOOLS_METRICS_NAMESPACE": "Feedpub",
        "POWERTOOLS_DEV": "0",
    }


def notified_queue(
    s3: Any, sqs: Any, bucket: str, name: str, events: list[str], rules: list[dict[str, str]]
) -> str:
    """A queue with its dead-letter queue (as the template makes them) that `bucket` notifies."""
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
    queue = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "360", "RedrivePolicy": redrive}
    )
    arn = sqs.get_queue_attributes(QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn["QueueArn"], "Events": events, "Filter": {"Key": {"FilterRules": rules}}}
            ]
        },
    )
    return str(queue["QueueUrl"])


def create_table(dynamodb: Any, name: str) -> None:
    """An ArticlesTable as the template makes it (pk/sk strings, on demand)."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )


def create_resources(s3: Any, sqs: Any, dynamodb: Any) -> str:
    """Buckets, table and queues as the template makes them; returns the ingest queue URL."""
    for bucket in (ARTICLES_BUCKET, SITE_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=ARTICLES_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    create_table(dynamodb, TABLE)
    queue = notified_queue(
        s3, sqs, ARTICLES_BUCKET, "ingest", ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        [{"Name": "prefix", "Value": "articles/"}],
    )  # fmt: skip
    return str(queue)


@dataclass
class Pipeline:
    """The moto account plus helpers to upload, deliver and read feeds."""

    s3: Any
    sqs: Any
    dynamodb: Any
    queue_url: str
    config: SiteConfig
    handled: list[dict[str, Any]] = field(default_factory=list)

    @property
    def index(self) -> ArticleIndex:
        return ArticleIndex(TABLE, self.dynamodb)

    def ingestor(self) -> Ingestor:
        return Ingestor(ArticlesBucket(ARTICLES_BUCKET, self.s3), self.index, self.config)

    def publisher(self) -> Publisher:
        return Publisher(self.index, SiteBucket(SITE_BUCKET, self.config.cache_control, self.s3), self.config)

    def upload(self, key: str, body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.s3.put_object(Bucket=ARTICLES_BUCKET, Key=key, Body=data)

    def delete(self, key: str) -> None:
        """Delete as an editor does; moto sends no event for the delete marker a versioned bucket
        creates, so the ObjectRemoved:DeleteMarkerCreated message S3 would send is queued here."""
        response = self.s3.delete_object(Bucket=ARTICLES_BUCKET, Key=key)
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(
                s3_event("ObjectRemoved:DeleteMarkerCreated", key, version_id=response.get("VersionId", ""))
            ),
        )

    def receive(self) -> list[dict[str, Any]]:
        """Every message moto queued so far, as Lambda's SQS event records."""
        return receive_records(self.sqs, self.queue_url, "ingest")

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Run the ingest handler on the records, in batches of 10 as the event source mapping does."""
        from handlers.ingest import handler

        failures: list[dict[str, str]] = []
        for start in range(0, len(records), 10):
            response = handler({"Records": records[start : start + 10]}, LambdaContext())
            failures.extend(response["batchItemFailures"])
            self.handled.append(dict(response))
        return {"batchItemFailures": failures}

    def deliver(self) -> dict[str, Any]:
        """Receive everything queued and hand it to the handler."""
        return self.invoke(self.receive())

    def site_object(self, key: str) -> dict[str, Any]:
        return self.s3.get_object(Bucket=SITE_BUCKET, Key=key)

    def feed(self, key: str = "feeds/feed.json") -> dict[str, Any]:
        return dict(json.loads(self.site_object(key)["Body"].read()))

    def feed_ids(self, key: str = "feeds/feed.json") -> list[str]:
        return [item["id"].rsplit("/", 1)[-1] for item in self.feed(key)["items"]]

    def report(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.s3.get_object(Bucket=ARTICLES_BUCKET, Key=f"reports/{key}.json")["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return dict(json.loads(body))

    def status_tag(self, key: str) -> str:
        tags = self.s3.get_object_tagging(Bucket=ARTICLES_BUCKET, Key=key)["TagSet"]
        return next((t["Value"] for t in tags if t["Key"] == "feedpub-status"), "")


@contextmanager
def moto_pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """A fresh in-process moto account with the pipeline's resources and the functions' variables."""
    for name, value in {**aws_environment(), **SITE_ENV}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ARTICLES_BUCKET", ARTICLES_BUCKET)
    monkeypatch.setenv("SITE_BUCKET", SITE_BUCKET)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    with mock_aws():
        clients.client.cache_clear()
        runtime.cache_clear()
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        queue = create_resources(s3, sqs, dynamodb)
        monkeypatch.setenv("INGEST_QUEUE_URL", queue)
        yield Pipeline(s3, sqs, dynamodb, queue, SiteConfig.from_env(os.environ))
    clients.client.cache_clear()
    runtime.cache_clear()


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    with moto_pipeline(monkeypatch) as created:
        yield created


def article(
    title: str,
    published: str = "2026-11-20T08:00:00+07:00",
    body: str = "PORT ELLIS — Something happened on Monday, officials said.",
    **fields: Any,
) -> str:
    """A Markdown article with the given front matter fields."""
    lines = ["---", f"title: {json.dumps(title)}", f"published: {json.dumps(published)}"]
    lines += [f"{name}: {json.dumps(value)}" for name, value in fields.items()]
    return "\n".join([*lines, "---", body, ""])


def s3_event(
    name: str, key: str, *, version_id: str = "", sequencer: str = "", etag: str = ""
) -> dict[str, Any]:
    """An S3 notification with every field real S3 sends (moto's lack sequencer and more)."""
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-11-26T12:00:00.000Z",
                "eventName": name,
                "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "articles",
                    "bucket": {
                        "name": ARTICLES_BUCKET,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{ARTICLES_BUCKET}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "eTag": etag,
                        "versionId": version_id,
                        "sequencer": sequencer or "0062E99A88DC407460",
                    },
                },
            }
        ]
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- Helpers for the ordering, fault-injection and concurrency tests ----------------------------


def sqs_record(message: dict[str, Any] | str, message_id: str = "") -> dict[str, Any]:
    """A notification (or any raw body text) as the SQS record Lambda hands the ingest handler."""
    import hashlib
    import uuid

    body = message if isinstance(message, str) else json.dumps(message)
    message_id = message_id or str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795695407550"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:ingest",
        "awsRegion": REGION,
    }


def scheduled_publish() -> dict[str, Any]:
    """Run the scheduled publish function once, as EventBridge does."""
    from feedpub.local.runner import scheduled_event
    from handlers.scheduled import handler

    event = scheduled_event(REGION, "123456789012")
    return dict(handler(event, LambdaContext(function_name="PublishFunction")))


def expected_feeds(pipeline: Pipeline, now: datetime | None = None) -> dict[str, list[tuple[str, str]]]:
    """What every feed should list, from the articles bucket alone (the source of truth).

    Lists the bucket, parses each article as the pipeline does and keeps the listed ones (not
    drafts, not embargoed at `now`), grouped into the site feed (`feeds/feed.json`) and each
    section's (`feeds/<section>/feed.json`), newest first, as (id, title). Where two objects claim
    one id, the id's owner in the index keeps it (the other is rejected with a report). Where a
    good article was replaced by a bad one, the good version stays listed (by design).
    """
    from feedpub.article import Article, is_article_key, parse_article, utc_now
    from feedpub.errors import ArticleError

    now = now or utc_now()
    by_id: dict[str, list[Article]] = {}
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(
        Bucket=ARTICLES_BUCKET, Prefix="articles/"
    ):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not is_article_key(key):
                continue
            data = pipeline.s3.get_object(Bucket=ARTICLES_BUCKET, Key=key)["Body"].read()
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
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(Bucket=SITE_BUCKET, Prefix="feeds/"):
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
    from feedpub.article import utc_now
    from feedpub.audit import audit

    bucket = ArticlesBucket(ARTICLES_BUCKET, pipeline.s3)
    site = SiteBucket(SITE_BUCKET, pipeline.config.cache_control, pipeline.s3)
    discrepancies = audit(bucket, pipeline.index, site, pipeline.config, now or utc_now())
    assert [str(d) for d in discrepancies] == []


# -- Most viewed: the access-logs bucket, its queue, and the views and most-viewed functions -----

LOGS_BUCKET = "feedpub-test-logs"
LOGS_QUEUE = "views"


def create_logs_resources(s3: Any, sqs: Any) -> str:
    """The bucket CloudFront writes standard logs to and the queue its notifications go to (new
    `.gz` objects only), as create_resources does for articles; returns the queue URL."""
    s3.create_bucket(Bucket=LOGS_BUCKET)
    queue = notified_queue(
        s3, sqs, LOGS_BUCKET, LOGS_QUEUE, ["s3:ObjectCreated:*"], [{"Name": "suffix", "Value": ".gz"}]
    )
    return str(queue)


def receive_records(sqs: Any, queue_url: str, queue_name: str) -> list[dict[str, Any]]:
    """Every message moto queued so far on a queue, as Lambda's SQS event records."""
    from feedpub.local.runner import sqs_event

    records: list[dict[str, Any]] = []
    arn = f"arn:aws:sqs:{REGION}:123456789012:{queue_name}"
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        records.extend(sqs_event(messages, arn, REGION)["Records"])
    return records


def most_viewed_event() -> dict[str, Any]:
    """The EventBridge schedule's event for the most-viewed function."""
    from feedpub.local.runner import scheduled_event

    return scheduled_event(REGION, "123456789012")


@dataclass
class ViewsPipeline:
    """The `pipeline` account plus the logs bucket and queue, and drivers for the views function
    (S3 -> SQS -> handlers.views) and the scheduled most-viewed function (handlers.most_viewed)."""

    pipeline: Pipeline
    logs_queue_url: str
    handled: list[dict[str, Any]] = field(default_factory=list)

    def put_log(self, key: str, data: bytes) -> None:
        """CloudFront delivering a log file."""
        self.pipeline.s3.put_object(Bucket=LOGS_BUCKET, Key=key, Body=data)

    def receive(self) -> list[dict[str, Any]]:
        """Every message moto queued for the logs so far (the s3:TestEvent included)."""
        return receive_records(self.pipeline.sqs, self.logs_queue_url, LOGS_QUEUE)

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Run the views handler on the records, in batches of 10 as the event source mapping does."""
        from handlers.views import handler

        failures: list[dict[str, str]] = []
        for start in range(0, len(records), 10):
            response = handler(
                {"Records": records[start : start + 10]}, LambdaContext(function_name="ViewsFunction")
            )
            failures.extend(response["batchItemFailures"])
            self.handled.append(dict(response))
        return {"batchItemFailures": failures}

    def deliver(self) -> dict[str, Any]:
        """Receive every queued log notification and hand it to the views handler."""
        return self.invoke(self.receive())

    def publish(self, now: datetime) -> dict[str, Any]:
        """Run the scheduled most-viewed function once, its clock reading `now`."""
        from unittest import mock

        import handlers.most_viewed

        with mock.patch.object(handlers.most_viewed, "utc_now", lambda: now):
            return dict(
                handlers.most_viewed.handler(
                    most_viewed_event(), LambdaContext(function_name="MostViewedFunction")
                )
            )

    def body(self, key: str) -> bytes:
        return bytes(self.pipeline.site_object(key)["Body"].read())

    def feed(self, key: str = "feeds/most-viewed.json") -> dict[str, Any]:
        return dict(json.loads(self.body(key)))


def snapshot_tables_once_per_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's TransactWriteItems take its rollback snapshot of a table once per call.

    moto deep-copies the whole table once per *action*, all before applying any of them, so the
    copies are identical and only the last is kept; with 100-action transactions on a table of a
    few thousand items that is most of a test's time. Copying once per call keeps moto's behaviour
    (the same snapshot, the same rollback) and makes counting a day of traffic fast enough to test.
    """
    import copy
    import types

    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: dict[int, tuple[Any, Any]] = {}

        def deepcopy(obj: Any, memo: Any = None) -> Any:
            if not isinstance(obj, models.Table):
                return copy.deepcopy(obj, memo)
            if id(obj) not in snapshots:
                snapshots[id(obj)] = (obj, copy.deepcopy(obj, memo))
            return snapshots[id(obj)][1]

        saved = models.copy
        models.copy = types.SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
        try:
            original(self, transact_items)
        finally:
            models.copy = saved

    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", transact_write_items)


@pytest.fixture
def views_pipeline(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> ViewsPipeline:
    """`pipeline` with the access-logs bucket and queue."""
    snapshot_tables_once_per_transaction(monkeypatch)
    return ViewsPipeline(pipeline, create_logs_resources(pipeline.s3, pipeline.sqs))


@pytest.fixture(scope="class")
def class_views_pipeline() -> Iterator[ViewsPipeline]:
    """`views_pipeline` shared by the tests of one class, for a world that is costly to build; set up
    exactly as the `pipeline` fixture does (class scope: torn down before any other test runs)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        snapshot_tables_once_per_transaction(monkeypatch)
        with moto_pipeline(monkeypatch) as pipeline:
            yield ViewsPipeline(pipeline, create_logs_resources(pipeline.s3, pipeline.sqs))
