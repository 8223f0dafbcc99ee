"""The editors' bucket: read an article's current state, leave reports and status tags beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedpub.aws.clients import client, error_code
from feedpub.errors import ArticleError, Problem
from feedpub.names import ARTICLES_PREFIX, REPORTS_PREFIX, report_key, reported_key
from feedpub.source import MAX_ARTICLE_BYTES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PutObjectTaggingRequestTypeDef

STATUS_TAG = "feedpub-status"
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion"})


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """Which bytes of a key were read: enough to tell whether a newer upload replaced them."""

    etag: str
    version_id: str

    @property
    def token(self) -> str:
        """One string identifying this exact upload."""
        return f"{self.etag}/{self.version_id}"


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article object as it is now in the bucket."""

    key: str
    data: bytes
    version: ObjectVersion


class ArticlesBucket:
    """Reads articles and writes reports and status tags in the editors' bucket."""

    def __init__(self, name: str, s3: S3Client | None = None) -> None:
        self.name = name
        self.s3 = s3 or client("s3")

    def read(self, key: str) -> StoredArticle | None:
        """The article's current bytes, or None when it has been deleted."""
        try:
            response = self.s3.get_object(Bucket=self.name, Key=key)
        except Exception as exc:
            if error_code(exc) in MISSING_CODES:
                return None
            raise
        version = ObjectVersion(response.get("ETag", ""), response.get("VersionId") or "")
        body = response["Body"]
        if int(response.get("ContentLength", 0)) > MAX_ARTICLE_BYTES:
            body.close()
            size = int(response["ContentLength"]) / 1048576
            raise ArticleError(
                key,
                [Problem("file", f"the file is {size:.1f} MB; articles may be at most "
                         f"{MAX_ARTICLE_BYTES // 1048576} MB")],
            )  # fmt: skip
        return StoredArticle(key, body.read(MAX_ARTICLE_BYTES + 1), version)

    def list_article_keys(self) -> Iterator[str]:
        """Every key under `articles/`: for backfills and audits only, never the hot path."""
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.name, Prefix=ARTICLES_PREFIX):
            for item in page.get("Contents", []):
                yield item["Key"]

    def report_keys(self) -> set[str]:
        """Article keys that have a report object (audits only)."""
        paginator = self.s3.get_paginator("list_objects_v2")
        found = set()
        for page in paginator.paginate(Bucket=self.name, Prefix=REPORTS_PREFIX):
            for item in page.get("Contents", []):
                found.add(reported_key(item["Key"]))
        return found

    def current_version(self, key: str) -> ObjectVersion | None:
        """The version now under `key` (None when deleted): checked after indexing, see ingest."""
        try:
            response = self.s3.head_object(Bucket=self.name, Key=key)
        except Exception as exc:
            if error_code(exc) in MISSING_CODES:
                return None
            raise
        return ObjectVersion(response.get("ETag", ""), response.get("VersionId") or "")

    def tag_status(self, stored: StoredArticle, status: str) -> None:
        """Tag the exact version read with its outcome, so editors see it in the console."""
        kwargs: PutObjectTaggingRequestTypeDef = {
            "Bucket": self.name,
            "Key": stored.key,
            "Tagging": {"TagSet": [{"Key": STATUS_TAG, "Value": status}]},
        }
        if stored.version.version_id and stored.version.version_id != "null":
            kwargs["VersionId"] = stored.version.version_id
        try:
            self.s3.put_object_tagging(**kwargs)
        except Exception as exc:
            if error_code(exc) not in MISSING_CODES:  # deleted meanwhile: its delete event follows
                raise

    def write_report(self, error: ArticleError, version: ObjectVersion | None) -> None:
        """Put the problems, as sentences, at reports/<key>.json."""
        report = error.to_dict()
        report["status"] = "rejected"
        if version is not None:
            report["etag"] = version.etag
            report["version_id"] = version.version_id
        self.s3.put_object(
            Bucket=self.name,
            Key=report_key(error.path),
            Body=(json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode(),
            ContentType="application/json; charset=utf-8",
        )

    def delete_report(self, key: str) -> None:
        """Remove an article's report once it is fixed or deleted."""
        self.s3.delete_object(Bucket=self.name, Key=report_key(key))
