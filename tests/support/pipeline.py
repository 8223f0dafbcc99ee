"""The template's stack in an in-process moto account, and drivers that run the functions' handlers
on exactly the SQS messages moto delivered for real S3 operations, in the batches the template's
event source mappings give them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext
from moto import mock_aws

from feedpub.aws import clients
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.site_bucket import SiteBucket
from feedpub.config import SiteConfig
from feedpub.ingest import Ingestor
from feedpub.publish import Publisher
from feedpub.runtime import runtime
from feedpub_cli.local.stack import REGION, STACK_NAME, TEMPLATE_PATH, Stack
from tests.support.stack import (
    ACCOUNT,
    PIPELINE_PARAMETERS,
    batch_size,
    max_receive_count,
    stack_in_moto,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef
    from mypy_boto3_sqs import SQSClient


@dataclass
class LambdaContext(PowertoolsLambdaContext):
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "IngestFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:IngestFunction"
    aws_request_id: str = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def aws_environment() -> dict[str, str]:
    """Fake credentials, the region, and what Powertools reads when a handler is first imported."""
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


def receive_records(sqs: SQSClient, queue_url: str) -> list[dict[str, Any]]:
    """Every message moto queued so far on a queue, as Lambda's SQS event records."""
    from feedpub_cli.local.runner import sqs_event

    records: list[dict[str, Any]] = []
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rsplit('/', 1)[-1]}"
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        records.extend(sqs_event(messages, arn, REGION)["Records"])
    return records


@dataclass
class Pipeline:
    """The stack, the test's own clients (not the functions'), and helpers to upload, deliver and
    read feeds."""

    stack: Stack
    s3: S3Client
    sqs: SQSClient
    dynamodb: DynamoDBClient
    config: SiteConfig
    handled: list[dict[str, Any]] = field(default_factory=list)

    @property
    def articles_bucket(self) -> str:
        return self.stack.articles_bucket

    @property
    def site_bucket(self) -> str:
        return self.stack.site_bucket

    @property
    def table(self) -> str:
        return self.stack.table_name

    @property
    def queue_url(self) -> str:
        """The IngestQueue, which the articles bucket notifies."""
        return self.stack.ingest_queue_url

    @property
    def dlq_url(self) -> str:
        """The IngestQueue's dead-letter queue."""
        return self.stack.dlq_url

    @property
    def batch_size(self) -> int:
        """The IngestFunction's batch size (its event source mapping's BatchSize)."""
        return batch_size(self.stack, "IngestFunction")

    @property
    def max_receive_count(self) -> int:
        """Receives of an IngestQueue message before it is dead-lettered (its RedrivePolicy)."""
        return max_receive_count(self.stack, "IngestQueue")

    @property
    def index(self) -> ArticleIndex:
        return ArticleIndex(self.table, self.dynamodb)

    def ingestor(self) -> Ingestor:
        return Ingestor(ArticlesBucket(self.articles_bucket, self.s3), self.index, self.config)

    def site(self) -> SiteBucket:
        return SiteBucket(self.site_bucket, self.config.cache_control, self.s3)

    def publisher(self) -> Publisher:
        return Publisher(self.index, self.site(), self.config)

    def upload(self, key: str, body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.s3.put_object(Bucket=self.articles_bucket, Key=key, Body=data)

    def delete(self, key: str) -> None:
        """Delete as an editor does (a delete marker; S3 notifies ObjectRemoved:DeleteMarkerCreated)."""
        self.s3.delete_object(Bucket=self.articles_bucket, Key=key)

    def receive(self) -> list[dict[str, Any]]:
        """Every message moto queued so far, as Lambda's SQS event records."""
        return receive_records(self.sqs, self.queue_url)

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Run the ingest handler on the records, in batches as the event source mapping does."""
        from handlers.ingest import handler

        failures: list[dict[str, str]] = []
        size = self.batch_size
        for start in range(0, len(records), size):
            response = handler({"Records": records[start : start + size]}, LambdaContext())
            failures.extend(response["batchItemFailures"])
            self.handled.append(dict(response))
        return {"batchItemFailures": failures}

    def deliver(self) -> dict[str, Any]:
        """Receive everything queued and hand it to the handler."""
        return self.invoke(self.receive())

    def site_object(self, key: str) -> GetObjectOutputTypeDef:
        return self.s3.get_object(Bucket=self.site_bucket, Key=key)

    def feed(self, key: str = "feeds/feed.json") -> dict[str, Any]:
        return dict(json.loads(self.site_object(key)["Body"].read()))

    def feed_ids(self, key: str = "feeds/feed.json") -> list[str]:
        return [item["id"].rsplit("/", 1)[-1] for item in self.feed(key)["items"]]

    def report(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.s3.get_object(Bucket=self.articles_bucket, Key=f"reports/{key}.json")["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return dict(json.loads(body))

    def status_tag(self, key: str) -> str:
        tags = self.s3.get_object_tagging(Bucket=self.articles_bucket, Key=key)["TagSet"]
        return next((t["Value"] for t in tags if t["Key"] == "feedpub-status"), "")


EditedPipeline = Callable[[Mapping[tuple[str, ...], Any]], Pipeline]
"""The `edited_pipeline` fixture: a pipeline on a copy of template.yaml with values changed."""


@contextmanager
def moto_pipeline(
    monkeypatch: pytest.MonkeyPatch,
    parameters: Mapping[str, str] | None = None,
    template_path: Path = TEMPLATE_PATH,
    name: str = STACK_NAME,
) -> Iterator[Pipeline]:
    """A fresh in-process moto account holding the template's stack (`PIPELINE_PARAMETERS`, then
    `parameters`), this process's environment the functions' (as the template gives it)."""
    for variable, value in aws_environment().items():
        monkeypatch.setenv(variable, value)
    with mock_aws():
        stack = stack_in_moto(name, {**PIPELINE_PARAMETERS, **(parameters or {})}, template_path)
        # Every function gets the template's Globals environment; the ingest function's is a superset.
        for variable, value in stack.function_environment("IngestFunction").items():
            monkeypatch.setenv(variable, value)
        clients.client.cache_clear()
        runtime.cache_clear()
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        yield Pipeline(stack, s3, sqs, dynamodb, SiteConfig.from_env(os.environ))
    clients.client.cache_clear()
    runtime.cache_clear()


def scheduled_event() -> dict[str, Any]:
    """The EventBridge schedule's event (the publish and most-viewed functions run on one)."""
    from feedpub_cli.local.runner import scheduled_event as event

    return event(REGION, ACCOUNT)


def scheduled_publish() -> dict[str, Any]:
    """Run the scheduled publish function once, as EventBridge does."""
    from handlers.scheduled import handler

    return dict(handler(scheduled_event(), LambdaContext(function_name="PublishFunction")))


# -- Most viewed: the access-logs bucket, its queue, and the views and most-viewed functions -----


@dataclass
class ViewsPipeline:
    """The `pipeline` account with drivers for the views function (LogsBucket -> LogsQueue ->
    handlers.views) and the scheduled most-viewed function (handlers.most_viewed)."""

    pipeline: Pipeline
    handled: list[dict[str, Any]] = field(default_factory=list)

    @property
    def logs_bucket(self) -> str:
        return self.pipeline.stack.physical_ids["LogsBucket"]

    @property
    def logs_queue_url(self) -> str:
        return self.pipeline.stack.physical_ids["LogsQueue"]

    def put_log(self, key: str, data: bytes) -> None:
        """CloudFront delivering a log file."""
        self.pipeline.s3.put_object(Bucket=self.logs_bucket, Key=key, Body=data)

    def receive(self) -> list[dict[str, Any]]:
        """Every message moto queued for the logs so far."""
        return receive_records(self.pipeline.sqs, self.logs_queue_url)

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Run the views handler on the records, in batches as the event source mapping does."""
        from handlers.views import handler

        failures: list[dict[str, str]] = []
        size = batch_size(self.pipeline.stack, "ViewsFunction")
        for start in range(0, len(records), size):
            response = handler(
                {"Records": records[start : start + size]}, LambdaContext(function_name="ViewsFunction")
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
                    scheduled_event(), LambdaContext(function_name="MostViewedFunction")
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


def run_backfill(pipeline: Pipeline, **environment: str) -> str:
    """`feedpub backfill` on the pipeline's stack as an operator runs it, in this process's
    environment (plus `environment`, as a stack update would change the functions'); returns what
    it printed. `--workers 1`: in-process moto is not thread-safe (threads are tested in server mode)."""
    from click.testing import CliRunner

    from feedpub_cli.main import main

    result = CliRunner().invoke(
        main,
        ["backfill", "--articles-bucket", pipeline.articles_bucket, "--site-bucket", pipeline.site_bucket,
         "--table", pipeline.table, "--workers", "1"],
        env={**os.environ, **environment},
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output
