"""Most viewed: a schedule re-ranks articles by recent views and writes the feeds that changed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from feedpub.clock import utc_now
from feedpub.runtime import TRACED_MODULES, runtime
from handlers.push import announce_written

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=TRACED_MODULES)


@event_source(data_class=EventBridgeEvent)
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    """Publish most-viewed.json (site and sections, main window and 7 days)."""
    written, unchanged = runtime().most_viewed.publish(utc_now())
    metrics.add_metric(name="MostViewedWritten", unit=MetricUnit.Count, value=len(written))
    logger.info("most viewed published", written=written, unchanged=len(unchanged))
    announce_written(written, logger, metrics)
    return {"written": written, "unchanged": len(unchanged)}
