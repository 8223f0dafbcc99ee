"""The public site's bucket (behind CloudFront): where feeds are written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedpub.aws.clients import client, error_code
from feedpub.render import RenderedFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PutObjectRequestTypeDef

LINK_METADATA = "link"
"""Object metadata that carries a feed's HTTP Link header (served as x-amz-meta-link)."""


class SiteBucket:
    """Writes rendered files with their Content-Type and Cache-Control."""

    def __init__(self, name: str, cache_control: str, s3: S3Client | None = None) -> None:
        self.name = name
        self.cache_control = cache_control
        self.s3 = s3 or client("s3")

    def read(self, key: str) -> bytes | None:
        """A published file's bytes, or None when it does not exist (audits only)."""
        try:
            body: bytes = self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        return body

    def put(self, file: RenderedFile) -> None:
        """Upload one file; CloudFront serves the stored headers as they are.

        The WebSub `Link` header cannot be stored as itself, so it rides as object metadata
        (`x-amz-meta-link`), which the CloudFront Function's viewer-response renames to `Link`.
        """
        request: PutObjectRequestTypeDef = {
            "Bucket": self.name,
            "Key": file.key,
            "Body": file.body,
            "ContentType": file.content_type,
            "CacheControl": self.cache_control,
        }
        if file.link:
            request["Metadata"] = {LINK_METADATA: file.link}
        self.s3.put_object(**request)

    def delete(self, key: str) -> None:
        """Remove a published file (a month sitemap left with no article: an empty one is invalid)."""
        self.s3.delete_object(Bucket=self.name, Key=key)
