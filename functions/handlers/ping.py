"""Ping: SQS batches of WebSub announcements -> one publish notification per hub.

A hub that does not accept keeps its message in the PingQueue: the message is hidden for a
growing, jittered delay (feedpub.announce.retry_delay) and delivered again, until the hub accepts
or a newer accepted announcement supersedes it; after the queue's last receive it goes to the
PingDeadLetterQueue. Nothing here ever touches the feeds.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from feedpub.announce import HubUnavailableError, retry_delay
from feedpub.runtime import TRACED_MODULES, runtime
from feedpub.websub import Announcement
from handlers.failures import record_failure_logged

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=TRACED_MODULES)
# A hub that is down fails every message of a batch: that is its ordinary state, reported per
# message (each hidden for its backoff delay), not an invocation error for the Errors alarm.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

NOT_ACCEPTED = (
    "hub did not accept the announcement: it is retried later, and dead-lettered after the last receive"
)
OUTCOME_METRICS = {"sent": "HubNotificationsSent", "superseded": "HubNotificationsSuperseded",
                   "dropped": "HubNotificationsDropped"}  # fmt: skip


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Deliver one announcement; a hub that fails fails only this message, retried with backoff."""
    announcement = Announcement.from_message(record.body)
    receives = int(record.attributes.approximate_receive_count or 1)
    with record_failure_logged(logger, record, NOT_ACCEPTED, hub=announcement.hub):
        if receives > 1:
            metrics.add_metric(name="HubNotificationsRetried", unit=MetricUnit.Count, value=1)
        try:
            delivery = runtime().notifier.deliver(announcement)
        except HubUnavailableError:
            metrics.add_metric(name="HubNotificationsFailed", unit=MetricUnit.Count, value=1)
            runtime().ping_queue.retry_later(record.receipt_handle, retry_delay(receives))
            raise
        metrics.add_metric(name=OUTCOME_METRICS[delivery.outcome], unit=MetricUnit.Count, value=1)
        if delivery.retries:
            metrics.add_metric(name="HubNotificationsRetried", unit=MetricUnit.Count, value=delivery.retries)
        logger.info("hub notified", outcome=delivery.outcome, topics=list(delivery.topics),
                    retries=delivery.retries, receives=receives)  # fmt: skip


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Notify the hubs of every announcement in the batch; failures are reported per message."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
