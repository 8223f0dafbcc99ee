"""The access-logs bucket CloudFront writes to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedpub.aws.clients import client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MAX_LOG_BYTES = 512 * 1024 * 1024


class LogsBucket:
    """Reads one delivered log object."""

    def __init__(self, s3: S3Client | None = None) -> None:
        self.s3 = s3 or client("s3")

    def read(self, bucket: str, key: str) -> bytes:
        """The log's bytes."""
        response = self.s3.get_object(Bucket=bucket, Key=key)
        body: bytes = response["Body"].read(MAX_LOG_BYTES)
        return body
