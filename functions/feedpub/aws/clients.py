"""boto3 clients built once per process, with the retry and timeout settings every adapter shares."""

from __future__ import annotations

from functools import cache
from typing import Any

from feedpub.names import ItemKey

RETRIES = {"mode": "standard", "total_max_attempts": 5}
"""Five attempts in all (botocore's `max_attempts` would count retries only)."""


@cache
def client(service: str) -> Any:
    """A cached client; `AWS_ENDPOINT_URL` (honoured by boto3 itself) points it at moto locally."""
    import boto3
    from botocore.config import Config

    return boto3.client(  # type: ignore[call-overload]
        service,
        config=Config(retries=dict(RETRIES), connect_timeout=5, read_timeout=20),  # type: ignore[arg-type]
    )


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def dynamo_key(item: ItemKey) -> dict[str, Any]:
    """The DynamoDB `Key` of an ArticlesTable item named in `feedpub.names`."""
    return {"pk": {"S": item.pk}, "sk": {"S": item.sk}}
