"""boto3 clients built once per process, with the retry and timeout settings every adapter shares."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Literal, overload

from feedpub.names import ItemKey

if TYPE_CHECKING:  # boto3-stubs is a dev dependency: the Lambda never imports it
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

RETRIES = {"mode": "standard", "total_max_attempts": 5}
"""Five attempts in all (botocore's `max_attempts` would count retries only)."""


@cache
def _client(service: str) -> BaseClient:
    import boto3
    from botocore.config import Config

    return boto3.client(  # type: ignore[call-overload,no-any-return]  # the stubs take only literal names
        service,
        config=Config(retries=dict(RETRIES), connect_timeout=5, read_timeout=20),  # type: ignore[arg-type]
    )


class _Clients:
    """`client(service)`: the process's cached client of that service, typed by its name."""

    @overload
    def __call__(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def __call__(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def __call__(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def __call__(self, service: str) -> BaseClient: ...
    def __call__(self, service: str) -> BaseClient:
        """A cached client; `AWS_ENDPOINT_URL` (honoured by boto3 itself) points it at moto locally."""
        return _client(service)

    @staticmethod
    def cache_clear() -> None:
        """Forget every client (tests that swap the endpoint or the credentials)."""
        _client.cache_clear()


client = _Clients()


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def dynamo_key(item: ItemKey) -> dict[str, AttributeValueTypeDef]:
    """The DynamoDB `Key` of an ArticlesTable item named in `feedpub.names`."""
    return {"pk": {"S": item.pk}, "sk": {"S": item.sk}}
