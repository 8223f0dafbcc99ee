"""View counts in the ArticlesTable: per article per hour, rolled up per day, counted once per log.

Items (pk / sk, spelled in `feedpub.names`):
- `HOUR#<yyyy-mm-ddThh>` / `<article id>`: views in that hour (UTC), with the article's section.
- `DAY#<yyyy-mm-dd>` / `<article id>`: the same summed per day, so a 7-day window reads 7 days
  plus the hours at its edges instead of 168 hours.
- `LOG#<log file name>#<content hash>` / `chunk#<n>`: a marker written in the same transaction as
  a chunk of counts, so a log delivered twice is counted once, even if the first run died half way.
- `STATE` / `MOSTVIEWED`: the hash of each most-viewed file as last written.

A window's ranking reads only the partitions of its hours and days: its cost grows with the
articles viewed in the window, never with the archive or the history of counts.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from feedpub.aws.clients import client, dynamo_key, error_code
from feedpub.names import (
    MOST_VIEWED_STATE_ITEM,
    day_partition,
    hour_partition,
    is_hour_partition,
    log_chunk_item,
    page_path_of,
    path_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        KeysAndAttributesUnionTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
    )

CHUNK_ENTRIES = 49  # each (path, hour) adds up to 2 updates; with the marker, <= 100 actions
HOUR_TTL = timedelta(days=33)  # longer than the longest window (744 h), whose edges read hours
DAY_TTL = timedelta(days=40)
MARKER_TTL = timedelta(days=30)
STATE_KEY = dynamo_key(MOST_VIEWED_STATE_ITEM)


@dataclass(frozen=True, slots=True)
class PageTarget:
    """The article a page path shows."""

    article_id: str
    section: str


@dataclass(frozen=True, slots=True)
class WindowPartitions:
    """The hour and day partitions that exactly cover a window."""

    hours: tuple[str, ...]
    days: tuple[str, ...]


def window_partitions(now: datetime, hours: int) -> WindowPartitions:
    """The `hours` most recent hour buckets up to `now` (its own hour included), as whole days
    where a day lies entirely inside the window."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    buckets = [current - timedelta(hours=h) for h in range(hours)]
    by_day: dict[str, list[datetime]] = {}
    for bucket in buckets:
        by_day.setdefault(bucket.strftime("%Y-%m-%d"), []).append(bucket)
    days = tuple(sorted(day for day, members in by_day.items() if len(members) == 24))
    hour_keys = tuple(
        sorted(
            b.strftime("%Y-%m-%dT%H") for day, members in by_day.items() if day not in days for b in members
        )
    )
    return WindowPartitions(hour_keys, days)


class ViewCounts:
    """Reads and writes view counts."""

    def __init__(self, table_name: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table_name
        self.db = dynamodb or client("dynamodb")

    def resolve_paths(self, paths: Iterable[str]) -> dict[str, PageTarget]:
        """Which article each page path shows; paths of no article are left out."""
        wanted = sorted(set(paths))
        found: dict[str, PageTarget] = {}
        for start in range(0, len(wanted), 100):
            keys = [dynamo_key(path_item(p)) for p in wanted[start : start + 100]]
            request: Mapping[str, KeysAndAttributesUnionTypeDef] = {self.table: {"Keys": keys}}
            while request:
                response = self.db.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    found[page_path_of(item["pk"]["S"])] = PageTarget(
                        item["article_id"]["S"], item.get("section", {}).get("S", "")
                    )
                request = response.get("UnprocessedKeys") or {}
        return found

    def record(
        self,
        log_id: str,
        views: Counter[tuple[str, str]],
        targets: dict[str, PageTarget],
        now: float | None = None,
    ) -> int:
        """Add a log's views (per page path and hour) exactly once; returns the chunks applied now.

        Chunks are cut from the log's own tally, sorted, so they depend only on the file: a
        second delivery meets the same chunk markers and adds nothing, even if more paths
        resolve to articles by then.
        """
        now = time.time() if now is None else now
        entries = sorted(views.items())
        chunks = [entries[i : i + CHUNK_ENTRIES] for i in range(0, len(entries), CHUNK_ENTRIES)]
        applied = 0
        for number, chunk in enumerate(chunks):
            updates: Counter[tuple[str, str, str]] = Counter()
            for (path, hour), n in chunk:
                target = targets.get(path)
                if target is not None:
                    updates[(hour_partition(hour), target.article_id, target.section)] += n
                    updates[(day_partition(hour[:10]), target.article_id, target.section)] += n
            if not updates:
                continue
            actions: list[TransactWriteItemTypeDef] = [
                {"Put": {"TableName": self.table,
                         "Item": {**dynamo_key(log_chunk_item(log_id, number)),
                                  "expires": {"N": str(int(now + MARKER_TTL.total_seconds()))}},
                         "ConditionExpression": "attribute_not_exists(pk)"}}
            ]  # fmt: skip
            for (partition, article_id, section), n in sorted(updates.items()):
                ttl = HOUR_TTL if is_hour_partition(partition) else DAY_TTL
                actions.append(
                    {"Update": {"TableName": self.table,
                                "Key": {"pk": {"S": partition}, "sk": {"S": article_id}},
                                "UpdateExpression":
                                    "ADD #views :n SET #section = :section, #expires = :expires",
                                "ExpressionAttributeNames": {"#views": "views", "#section": "section",
                                                             "#expires": "expires"},
                                "ExpressionAttributeValues": {
                                    ":n": {"N": str(n)}, ":section": {"S": section},
                                    ":expires": {"N": str(int(now + ttl.total_seconds()))}}}}
                )  # fmt: skip
            try:
                self.db.transact_write_items(TransactItems=actions)
            except Exception as exc:
                reasons = getattr(exc, "response", {}).get("CancellationReasons", [])
                if (
                    error_code(exc) == "TransactionCanceledException"
                    and reasons
                    and (reasons[0].get("Code") == "ConditionalCheckFailed")
                ):
                    continue  # this chunk was counted by an earlier delivery
                raise
            applied += 1
        return applied

    def window_totals(self, window: WindowPartitions) -> tuple[Counter[str], dict[str, str]]:
        """Views per article over a window, and each counted article's section."""
        totals: Counter[str] = Counter()
        sections: dict[str, str] = {}
        for partition in [*map(day_partition, window.days), *map(hour_partition, window.hours)]:
            kwargs: QueryInputTypeDef = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": partition}},
                "ProjectionExpression": "sk, #views, #section",
                "ExpressionAttributeNames": {"#views": "views", "#section": "section"},
            }
            while True:
                response = self.db.query(**kwargs)
                for item in response.get("Items", []):
                    totals[item["sk"]["S"]] += int(item["views"]["N"])
                    sections[item["sk"]["S"]] = item.get("section", {}).get("S", "")
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return totals, sections

    def published_hashes(self) -> dict[str, str]:
        """Hashes of the most-viewed files as last written, by key."""
        response = self.db.get_item(TableName=self.table, Key=STATE_KEY, ConsistentRead=True)
        item = response.get("Item", {})
        return {name[5:]: value["S"] for name, value in item.items() if name.startswith("hash:")}

    def record_hashes(self, hashes: dict[str, str]) -> None:
        """Remember what was written, so an unchanged ranking is not written again."""
        if not hashes:
            return
        self.db.update_item(
            TableName=self.table,
            Key=STATE_KEY,
            UpdateExpression="SET " + ", ".join(f"#h{i} = :h{i}" for i in range(len(hashes))),
            ExpressionAttributeNames={f"#h{i}": f"hash:{key}" for i, key in enumerate(hashes)},
            ExpressionAttributeValues={f":h{i}": {"S": digest} for i, digest in enumerate(hashes.values())},
        )
