"""The PingQueue: WebSub announcements waiting for the ping function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from feedpub.aws.clients import client
from feedpub.websub import Announcement

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

BATCH_LIMIT = 10
"""SendMessageBatch's most entries per call."""


class PingQueue:
    """Queues announcements (one message per hub) and postpones the ones a hub failed."""

    def __init__(self, url: str, sqs: SQSClient | None = None) -> None:
        self.url = url
        self.sqs = sqs or client("sqs")

    def send(self, announcements: Sequence[Announcement], delay_seconds: int) -> None:
        """Queue every announcement; raises if SQS refused any of them."""
        for start in range(0, len(announcements), BATCH_LIMIT):
            chunk = announcements[start : start + BATCH_LIMIT]
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(number), "MessageBody": item.to_message(), "DelaySeconds": delay_seconds}
                for number, item in enumerate(chunk)
            ]
            failed = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries).get("Failed", [])
            if failed:
                raise RuntimeError(
                    f"SQS refused {len(failed)} announcement(s): {failed[0].get('Message', '')}"
                )

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        """Keep a failed announcement hidden for `delay_seconds` before its next receive."""
        self.sqs.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay_seconds
        )
