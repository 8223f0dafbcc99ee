"""AWS API calls and time per uploaded article, as the index grows (moto in-process).

    .venv/bin/python -m benchmarks.calls_per_upload --sizes 100 10000 --uploads 20

The index is seeded through the same ArticleIndex.commit the ingest uses, its transactions
turned into batch writes (moto copies the whole table for every transaction, which would make
seeding 100,000 articles take hours). No bucket objects are needed for seeded articles: nothing on
the hot path lists the bucket or reads other articles.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

SECTIONS = ("world", "national", "business", "sport")


def make_article(n: int, config: Any) -> Any:
    from feedpub.article import parse_article

    published = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * n)
    body = (
        f'---\ntitle: Seeded story {n}\npublished: "{published.isoformat()}"\nauthor: Desk\n---\n'
        f"PORT ELLIS — Paragraph one of story {n}, with a quote: “We will see,” she said.\n\n"
        + "More text for the body of the story. "
        * 40
    )
    key = f"articles/{SECTIONS[n % 4]}/seed-{n}.md"
    return key, parse_article(key, body.encode(), config)


class BatchSeeder:
    """Stands in for the DynamoDB client while seeding: transactions become batched puts."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.pending: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:  # noqa: N803
        for action in TransactItems:
            if "Put" in action:
                self.pending.append({"PutRequest": {"Item": action["Put"]["Item"]}})
        table = TransactItems[0][next(iter(TransactItems[0]))]["TableName"]
        while len(self.pending) >= 25:
            self.db.batch_write_item(RequestItems={table: self.pending[:25]})
            self.pending = self.pending[25:]

    def flush(self, table: str) -> None:
        for start in range(0, len(self.pending), 25):
            self.db.batch_write_item(RequestItems={table: self.pending[start : start + 25]})
        self.pending = []


def run(sizes: list[int], uploads: int) -> list[dict[str, Any]]:
    import boto3
    from moto import mock_aws
    from tests.aws.conftest import (
        ARTICLES_BUCKET,
        SITE_BUCKET,
        TABLE,
        article,
        aws_environment,
        create_resources,
    )

    from feedpub.aws.articles_bucket import ArticlesBucket
    from feedpub.aws.index_table import ArticleIndex
    from feedpub.aws.site_bucket import SiteBucket
    from feedpub.config import SiteConfig
    from feedpub.ingest import Ingestor
    from feedpub.publish import Publisher

    os.environ.update(aws_environment())
    rows = []
    for size in sizes:
        with mock_aws():
            s3 = boto3.client("s3", region_name="us-east-1")
            sqs = boto3.client("sqs", region_name="us-east-1")
            db = boto3.client("dynamodb", region_name="us-east-1")
            create_resources(s3, sqs, db)
            config = SiteConfig()
            seeder = BatchSeeder(db)
            seeding = ArticleIndex(TABLE, seeder)
            for n in range(size):
                key, seeded = make_article(n, config)
                seeding.commit(key, None, seeded, f"seed/{n}")
            seeder.flush(TABLE)
            index = ArticleIndex(TABLE, db)
            index.bump(["site", *(f"section#{s}" for s in SECTIONS)])
            ingestor = Ingestor(ArticlesBucket(ARTICLES_BUCKET, s3), index, config)
            publisher = Publisher(index, SiteBucket(SITE_BUCKET, config.cache_control, s3), config)
            publisher.publish(datetime.now(UTC), force=publisher.known_feeds())
            calls: Counter[str] = Counter()

            def count(event_name: str, calls: Counter[str] = calls, **_: Any) -> None:
                calls[event_name.split(".", 1)[1]] += 1

            for client in (s3, db):
                client.meta.events.register("before-call.*.*", count)
            times = []
            for u in range(uploads):
                key = f"articles/{SECTIONS[u % 4]}/new-{u}.md"
                s3.put_object(
                    Bucket=ARTICLES_BUCKET,
                    Key=key,
                    Body=article(f"New {u}", published="2026-11-20T08:00:00+07:00").encode(),
                )
                calls["s3.PutObject"] -= 1  # the editor's upload is not the pipeline's call
                started = time.perf_counter()
                ingestor.ingest(key, datetime.now(UTC))
                publisher.publish(datetime.now(UTC))
                times.append(time.perf_counter() - started)
            total = sum(calls.values())
            rows.append(
                {
                    "indexed": size,
                    "calls_per_upload": total / uploads,
                    "ms_per_upload": statistics.median(times) * 1000,
                    "by_call": {k: v / uploads for k, v in sorted(calls.items())},
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--uploads", type=int, default=20)
    args = parser.parse_args()
    for row in run(args.sizes, args.uploads):
        print(
            f"indexed={row['indexed']:>7}  calls/upload={row['calls_per_upload']:.2f}  "
            f"median ms/upload={row['ms_per_upload']:.1f}"
        )
        for name, n in row["by_call"].items():
            print(f"    {name:<40} {n:.2f}")


if __name__ == "__main__":
    main()
