"""Object keys out of the S3 notifications that SQS delivers (real ones and moto's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from feedpub.names import is_article_key

PUBLISH_REQUEST = {"feedpub": "publish"}
"""The body of the message a publisher that handed over its lock queues (see Publisher.publish)."""


def is_publish_request(body: str) -> bool:
    """Whether an SQS message body is a publish request rather than S3 notifications."""
    try:
        return bool(json.loads(body) == PUBLISH_REQUEST)
    except ValueError:
        return False


def article_keys(body: str) -> Iterator[str]:
    """The article keys an SQS message body names; test events and folder markers name none.

    Powertools' data class reads the record (its pydantic model rejects moto's sparser events);
    keys arrive URL-encoded, spaces as '+', so they are decoded here.
    """
    message = json.loads(body)
    if not isinstance(message, dict) or "Records" not in message:
        return  # s3:TestEvent (sent once when the notification is configured), a publish request
    for record in S3Event(message).records:
        key = unquote_plus(record.s3.get_object.key)
        if is_article_key(key):
            yield key


def object_refs(body: str) -> Iterator[tuple[str, str]]:
    """(bucket, key) of every object-created record in an SQS message body of S3 notifications."""
    message = json.loads(body)
    if not isinstance(message, dict) or "Records" not in message:
        return
    for record in S3Event(message).records:
        if record.event_name.startswith("ObjectCreated"):
            yield record.s3.bucket.name, unquote_plus(record.s3.get_object.key)
