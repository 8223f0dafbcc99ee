"""What the functions are given: articles as editors write them, S3 notifications and SQS records
built by hand (for the tests that deliver events in the worst order), and the sample events of
events/ (the ones `sam local invoke -e` takes)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any
from urllib.parse import quote_plus

from feedpub_cli.local.stack import REGION
from tests.support.paths import EVENTS
from tests.support.stack import ACCOUNT


def article(
    title: str,
    published: str = "2026-11-20T08:00:00+07:00",
    body: str = "PORT ELLIS — Something happened on Monday, officials said.",
    **fields: Any,
) -> str:
    """A Markdown article with the given front matter fields."""
    lines = ["---", f"title: {json.dumps(title)}", f"published: {json.dumps(published)}"]
    lines += [f"{name}: {json.dumps(value)}" for name, value in fields.items()]
    return "\n".join([*lines, "---", body, ""])


def s3_event(
    name: str, key: str, bucket: str, *, version_id: str = "", sequencer: str = "", etag: str = ""
) -> dict[str, Any]:
    """An S3 notification for `key` in `bucket`, with every field real S3 sends."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-11-26T12:00:00.000Z",
                "eventName": name,
                "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "articles",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "eTag": etag,
                        "versionId": version_id,
                        "sequencer": sequencer or "0062E99A88DC407460",
                    },
                },
            }
        ]
    }


def sqs_record(message: dict[str, Any] | str, message_id: str = "") -> dict[str, Any]:
    """A notification (or any raw body text) as the SQS record Lambda hands the ingest handler."""
    body = message if isinstance(message, str) else json.dumps(message)
    message_id = message_id or str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795695407550"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:ingest",
        "awsRegion": REGION,
    }


SAMPLE_EVENTS = sorted(path.name for path in EVENTS.glob("*.json"))
"""The files of events/."""


def sample_event(name: str) -> dict[str, Any]:
    """One of events/, as `sam local invoke -e events/<name>` gives it to the function."""
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded
