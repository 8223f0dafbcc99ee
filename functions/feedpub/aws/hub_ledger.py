"""What each WebSub hub has accepted, in the ArticlesTable: one HUB# item per hub."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from feedpub.aws.clients import client, dynamo_key
from feedpub.names import hub_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

ACCEPTED_PREFIX = "ok:"
"""Attribute `ok:<topic>`: changed_at (epoch ms) of the newest announcement the hub accepted."""


class DynamoHubLedger:
    """Reads and records accepted announcements with one GetItem / UpdateItem each."""

    def __init__(self, table: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table
        self.dynamodb = dynamodb or client("dynamodb")

    @staticmethod
    def _key(hub: str) -> dict[str, AttributeValueTypeDef]:
        return dynamo_key(hub_item(hub))

    def accepted(self, hub: str) -> dict[str, int]:
        """changed_at of the newest accepted announcement, by topic."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key(hub), ConsistentRead=True).get(
            "Item", {}
        )
        return {
            name.removeprefix(ACCEPTED_PREFIX): int(value["N"])
            for name, value in item.items()
            if name.startswith(ACCEPTED_PREFIX)
        }

    def record(self, hub: str, topics: Sequence[str], changed_at: int) -> None:
        """Remember that the hub accepted news of `topics` as of `changed_at`."""
        if not topics:
            return
        names = {f"#t{number}": ACCEPTED_PREFIX + topic for number, topic in enumerate(topics)}
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self._key(hub),
            UpdateExpression="SET " + ", ".join(f"{name} = :at" for name in names),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":at": {"N": str(changed_at)}},
        )
