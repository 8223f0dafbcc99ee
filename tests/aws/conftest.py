"""An in-process moto account with the pipeline's resources, and a driver that runs the ingest
handler on exactly the SQS messages moto delivered for real S3 uploads."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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


def create_resources(s3: Any, sqs: Any, dynamodb: Any) -> str:
    """Buckets, table and queues as the template makes them; returns the ingest queue URL."""
    for bucket in (ARTICLES_BUCKET, SITE_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=ARTICLES_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    dlq = sqs.create_queue(QueueName="ingest-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="ingest",
        Attributes={
            "VisibilityTimeout": "360",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=ARTICLES_BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "articles/"}]}},
                }
            ]
        },
    )
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
        records: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return records
            for message in messages:
                records.append(
                    {
                        "messageId": message["MessageId"],
                        "receiptHandle": message["ReceiptHandle"],
                        "body": message["Body"],
                        "attributes": message.get("Attributes", {}),
                        "messageAttributes": {},
                        "md5OfBody": message["MD5OfBody"],
                        "eventSource": "aws:sqs",
                        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:ingest",
                        "awsRegion": REGION,
                    }
                )

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


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
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
        yield Pipeline(s3, sqs, dynamodb, queue, SiteConfig.from_env(os.environ))
    clients.client.cache_clear()
    runtime.cache_clear()


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
