"""S3 event notifications in the local stack, sent where and as AWS sends them.

moto 5.2 notifies PutObject and CopyObject as S3 does, but in a versioned bucket (the articles
bucket is one) it sends nothing for the delete marker a plain DeleteObject creates, and nothing for
a version or delete marker deleted by id unless it was the key's last one (and then it fails on a
delete marker); it also sends an ObjectCreated:Put before CompleteMultipartUpload, and its records
URL-encode "/" and lack versionId, sequencer and the request fields. On the local stack a deleted
story therefore stayed in every feed.

`emulate_s3_events` patches moto's S3 backend once per process (the in-process backend that both
`mock_aws()` and ThreadedMotoServer serve) and applies the emulation only to the buckets it is
given, so tests that build their own moto resources see plain moto whatever ran before them. The
events of a DeleteObject are derived from what it changed (versions removed, a delete marker added)
and, like every other event, go through moto's own `notifications.send_event`, so the bucket's
notification configuration and filters decide where each goes. The event types are AWS's
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html)
and so is the record (.../notification-content-structure.html).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote_plus

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.s3 import models, notifications
from moto.s3.notifications import S3NotificationEvent

EMULATED = (
    "DeleteObject without a version id in a versioned bucket notifies "
    "s3:ObjectRemoved:DeleteMarkerCreated for the delete marker it creates (moto sends nothing)",
    "DeleteObject with a version id notifies s3:ObjectRemoved:Delete for the version or delete "
    "marker it removes, the key's last or not, so removing the delete marker that hides a story "
    "restores it (moto notified only for the key's last one, and failed when that was a delete marker)",
    "DeleteObjects notifies each key it deletes as DeleteObject does",
    "CompleteMultipartUpload notifies s3:ObjectCreated:CompleteMultipartUpload alone (moto sent an "
    "ObjectCreated:Put first)",
    "notification records (PutObject's and CopyObject's too) have S3's shape: the key URL-encoded "
    "with '/' kept, versionId in a versioned bucket, a sequencer that grows with each event, size and "
    "eTag on ObjectCreated records only, and userIdentity, requestParameters and responseElements",
)
"""What the emulation changes, for `Stack.adjustments`."""

_moto_send_event = notifications.send_event
_moto_get_s3_event = notifications._get_s3_event
_moto_delete_object = models.S3Backend.delete_object
_moto_complete_multipart_upload = models.S3Backend.complete_multipart_upload

_REMOVED = S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT
_MARKER_CREATED = S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT
_COMPLETED = S3NotificationEvent.OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD_EVENT

_buckets: set[str] = set()
_install_lock = threading.Lock()
_sequence = itertools.count(1)
_local = threading.local()
"""Per request thread: `quiet` while moto's own events of an operation are replaced; `sequencer`
of the event being sent."""


def emulate_s3_events(buckets: Iterable[str]) -> list[str]:
    """Make moto notify for `buckets` as S3 does (installed once per process); returns `EMULATED`."""
    with _install_lock:
        if notifications.send_event is not _send_unless_quiet:
            notifications.send_event = _send_unless_quiet
            notifications._get_s3_event = _record
            models.S3Backend.delete_object = _delete_object  # type: ignore[method-assign]
            models.S3Backend.complete_multipart_upload = _complete_multipart_upload  # type: ignore[method-assign]
        _buckets.update(buckets)
    return list(EMULATED)


def _send(account_id: str, event_name: S3NotificationEvent, bucket: Any, key: Any) -> None:
    """moto's send_event, with one sequencer for every record (destination) of the event."""
    _local.sequencer = f"{next(_sequence):018X}"
    _moto_send_event(account_id, event_name, bucket, key)


def _send_unless_quiet(account_id: str, event_name: S3NotificationEvent, bucket: Any, key: Any) -> None:
    """What moto's operations call: their events, except where this module sends the right ones."""
    if not getattr(_local, "quiet", False):
        _send(account_id, event_name, bucket, key)


@contextmanager
def _quiet() -> Iterator[None]:
    """Hold back moto's own events while it runs an operation whose events this module sends."""
    previous = getattr(_local, "quiet", False)
    _local.quiet = True
    try:
        yield
    finally:
        _local.quiet = previous


def _delete_object(
    self: models.S3Backend,
    bucket_name: str,
    key_name: str,
    version_id: str | None = None,
    bypass: bool = False,
) -> tuple[bool, dict[str, Any]]:
    """moto's DeleteObject, notifying every version it removed and the delete marker it added."""
    bucket = self.get_bucket(bucket_name)
    if bucket.name not in _buckets:
        return _moto_delete_object(self, bucket_name, key_name, version_id, bypass)
    before = list(bucket.keys.getlist(key_name, []))
    with _quiet():
        result = _moto_delete_object(self, bucket_name, key_name, version_id, bypass)
    after = list(bucket.keys.getlist(key_name, []))
    for version in before:
        if not any(version is kept for kept in after):
            _send(self.account_id, _REMOVED, bucket, version)
    for version in after:
        if isinstance(version, models.FakeDeleteMarker) and not any(version is old for old in before):
            _send(self.account_id, _MARKER_CREATED, bucket, version)
    return result


def _complete_multipart_upload(
    self: models.S3Backend, bucket_name: str, multipart_id: str, body: Iterator[tuple[int, str]]
) -> models.FakeKey | None:
    """moto's CompleteMultipartUpload, notifying that alone (moto sends an ObjectCreated:Put first)."""
    bucket = self.get_bucket(bucket_name)
    if bucket.name not in _buckets:
        return _moto_complete_multipart_upload(self, bucket_name, multipart_id, body)
    with _quiet():
        key = _moto_complete_multipart_upload(self, bucket_name, multipart_id, body)
    if key is not None:
        _send(self.account_id, _COMPLETED, bucket, key)
    return key


def _record(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, list[dict[str, Any]]]:
    """The notification S3 sends for one event; moto's own for the buckets not emulated."""
    if bucket.name not in _buckets:
        return _moto_get_s3_event(event_name, bucket, key, notification_id)
    described: dict[str, Any] = {"key": quote_plus(key.name, safe="/")}
    if event_name.startswith("s3:ObjectCreated:"):
        described.update(size=key.size, eTag=key.etag.replace('"', ""))
    if bucket.is_versioned:
        described["versionId"] = key.version_id
    described["sequencer"] = _local.sequencer
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": iso_8601_datetime_with_milliseconds(),
        "eventName": event_name.removeprefix("s3:"),
        # moto keeps no caller identity or address: the account itself, on the loopback interface.
        "userIdentity": {"principalId": f"AWS:{bucket.account_id}"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": secrets.token_hex(8).upper(),
            "x-amz-id-2": secrets.token_urlsafe(48),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": notification_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": models.OWNER},
                "arn": bucket.arn,
            },
            "object": described,
        },
    }
    return {"Records": [record]}
