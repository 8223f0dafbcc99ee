"""Announcing a publish's changed feeds to the WebSub hubs, shared by every function that publishes.

The files are already live when this runs; queueing the announcement must never fail the publish
that wrote them (the batch would be redelivered, find nothing new to write, and announce nothing).
So a failure to queue is logged and counted, and the operator's alarm on HubNotificationsFailed
sees it.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from feedpub.runtime import runtime


def announce_written(written: Iterable[str], logger: Logger, metrics: Metrics) -> None:
    """Queue one announcement per hub of the feeds among `written`."""
    try:
        announcements = runtime().announcer.announce(written)
    except Exception:
        logger.exception("changed feeds could not be queued for the WebSub hubs")
        metrics.add_metric(name="HubNotificationsFailed", unit=MetricUnit.Count, value=1)
        return
    if announcements:
        topics = list(announcements[0].topics)
        metrics.add_metric(name="TopicsAnnounced", unit=MetricUnit.Count, value=len(topics))
        logger.info("changed feeds queued for the WebSub hubs", topics=topics,
                    hubs=[item.hub for item in announcements])  # fmt: skip
