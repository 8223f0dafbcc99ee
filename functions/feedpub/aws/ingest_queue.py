"""The IngestQueue, written to only to ask for a publish that a handed-over lock left pending."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from feedpub.aws.clients import client
from feedpub.events import PUBLISH_REQUEST

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class IngestQueue:
    """Sends the ingest function a message that names no article, only asks it to publish."""

    def __init__(self, url: str, sqs: SQSClient | None = None) -> None:
        self.url = url
        self.sqs = sqs or client("sqs")

    def request_publish(self) -> None:
        """Queue a publish request; whichever instance receives it publishes what is pending."""
        self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(PUBLISH_REQUEST))
