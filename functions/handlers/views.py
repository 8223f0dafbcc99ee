"""Views: SQS batches of "new CloudFront log" notifications -> per-article hourly view counts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from feedpub.events import object_refs
from feedpub.most_viewed import count_log
from feedpub.runtime import TRACED_MODULES, runtime
from handlers.failures import record_failure_logged

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=TRACED_MODULES)
processor = BatchProcessor(event_type=EventType.SQS)


NOT_COUNTED = "log not counted: its message is delivered again, and dead-lettered after the last receive"


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Count one delivered log file; an unreadable file fails only this message."""
    for bucket, key in object_refs(record.body):
        with record_failure_logged(logger, record, NOT_COUNTED, log_key=key):
            data = runtime().logs.read(bucket, key)
            result = count_log(key, data, runtime().views)
            metrics.add_metric(name="PageViews", unit=MetricUnit.Count, value=result.views)
            metrics.add_metric(name="MalformedLogLines", unit=MetricUnit.Count, value=result.malformed)
            logger.info(
                "log counted",
                requests=result.requests,
                views=result.views,
                unknown_path_views=result.unknown_paths,
                malformed=result.malformed,
                malformed_samples=result.samples,
                duplicate=result.chunks_applied == 0 and result.views > 0,
            )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Count every log of the batch; failures are reported per message and retried by SQS."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
