"""Ingest: SQS batches of S3 notifications -> index updates -> one publish of the changed feeds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from feedpub.clock import utc_now
from feedpub.events import article_keys, is_publish_request
from feedpub.runtime import TRACED_MODULES, runtime
from handlers.failures import invocation_failure_logged, record_failure_logged
from handlers.partners import report_partner_findings
from handlers.push import announce_written

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=TRACED_MODULES)
processor = BatchProcessor(event_type=EventType.SQS)


@dataclass
class BatchWork:
    """What the current batch leaves for the one publish after it."""

    feeds: set[str] = field(default_factory=set)
    """Feeds whose entries the batch changed."""
    requested: bool = False
    """The batch holds a publish request (queued by a publisher that handed its lock over)."""


batch = BatchWork()

METRIC_BY_STATUS = {
    "published": "ArticlesAccepted",
    "embargoed": "ArticlesAccepted",
    "draft": "ArticlesAccepted",
    "rejected": "ArticlesRejected",
    "deleted": "ArticlesDeleted",
    "unchanged": "ArticlesUnchanged",
}


NOT_INDEXED = "article not indexed: its message is delivered again, and dead-lettered after the last receive"
INVOCATION_FAILED = "invocation failed: every message of the batch is delivered again"


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Index every key one message names; an exception fails just this message."""
    if is_publish_request(record.body):
        batch.requested = True
        return
    for key in article_keys(record.body):
        with record_failure_logged(logger, record, NOT_INDEXED, object_key=key):
            outcome = runtime().ingestor.ingest(key, utc_now())
            batch.feeds.update(outcome.feeds)
            metrics.add_metric(name=METRIC_BY_STATUS[outcome.status], unit=MetricUnit.Count, value=1)
            if outcome.problems:
                logger.warning(
                    "article rejected",
                    status=outcome.status,
                    problems=[str(problem) for problem in outcome.problems],
                )
            else:
                logger.info("article indexed", status=outcome.status, article_id=outcome.article_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@invocation_failure_logged(logger, INVOCATION_FAILED)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Process the batch, then publish the feeds it changed (failures are reported per message)."""
    batch.feeds.clear()
    batch.requested = False
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    if batch.feeds or batch.requested:
        publish(batch.feeds)
    return response


def publish(changed: set[str]) -> None:
    """Count and publish the batch's changes; if the lock was handed over with changes pending
    (its holder's time ran out), queue a publish request so they do not wait for the schedule."""
    started = time.perf_counter()
    result = runtime().publisher.publish(utc_now(), changed=changed)
    elapsed_ms = (time.perf_counter() - started) * 1000
    metrics.add_metric(name="PublishLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    metrics.add_metric(name="FeedsWritten", unit=MetricUnit.Count, value=len(result.written))
    metrics.add_metric(name="FeedsUnchanged", unit=MetricUnit.Count, value=len(result.unchanged))
    logger.info("published", feeds=sorted(result.published), written=result.written, deferred=result.deferred)
    announce_written(result.written, logger, metrics)
    report_partner_findings(result.partner_findings, logger, metrics)
    if result.pending:
        runtime().ingest_queue.request_publish()
        metrics.add_metric(name="PublishRequested", unit=MetricUnit.Count, value=1)
        logger.info("lock handed over with changes pending: publish requested")
