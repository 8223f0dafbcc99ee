"""Scheduled publish: releases embargoed articles and heals any publish a crash left undone."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from feedpub.clock import utc_now
from feedpub.runtime import TRACED_MODULES, runtime
from handlers.partners import report_partner_findings
from handlers.push import announce_written

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=TRACED_MODULES)


@event_source(data_class=EventBridgeEvent)
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    """Re-render every known feed as of now (of the month sitemaps, this month's and the last:
    where an embargo can end); only files whose bytes changed are written."""
    publisher = runtime().publisher
    now = utc_now()
    result = publisher.publish(now, force=publisher.known_feeds(now))
    metrics.add_metric(name="FeedsWritten", unit=MetricUnit.Count, value=len(result.written))
    metrics.add_metric(name="FeedsUnchanged", unit=MetricUnit.Count, value=len(result.unchanged))
    logger.info("scheduled publish", feeds=sorted(result.published), written=result.written,
                deleted=result.deleted, deferred=result.deferred)  # fmt: skip
    announce_written(result.written, logger, metrics)
    report_partner_findings(result.partner_findings, logger, metrics)
    return {"published": sorted(result.published), "written": result.written, "deleted": result.deleted,
            "deferred": result.deferred}  # fmt: skip
