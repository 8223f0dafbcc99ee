"""Benchmark 5: peak memory of the ingest function on a full batch, 100,000 articles indexed.

    .venv/bin/python -m benchmarks.memory [--smoke]

The ingest handler runs in a fresh interpreter (the environment of benchmarks/lambda_env.py: the
template's variables, the Lambda runtime's, tracing on) on one SQS event of 10 records (the
template's BatchSize), each a new article, spread over the sections, as moto queued them for real
uploads. DynamoDB and S3 are a moto server in the benchmark process, so the child's memory is the
function's alone. The same is measured with 100 articles indexed, in the same run and moto account
(measured at 100, then topped up to 100,000).

The index is seeded straight into the moto server's backend through the ingest's own
ArticleIndex.commit (its transactions turned into batched puts, as benchmarks.upload_cost does),
from one parsed story per section copied with new ids and dates: parsing 100,000 stories would
take minutes and measure nothing. `benchmarks.moto_scale` makes moto's Query read only the queried
partition and its transactions skip a whole-table snapshot (moto limitations, not feedpub's: at
500,000 items each would take seconds per call).
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.lambda_env import (
    ACCOUNT,
    REGION,
    ChildResult,
    lambda_environment,
    moto_server,
    run_child,
    template_functions,
    xray_sink,
)
from benchmarks.report import Benchmark, cli

LIMIT_MB = 128
FUNCTION = "IngestFunction"


class BackendWriter:
    """`batch_write_item` straight into the moto server's table, in this process.

    Over HTTP, 500,000 items would be 20,000 requests; and moto's own put_item re-measures an
    item's size once per attribute (~1 ms an item). The items are exactly what ArticleIndex.commit
    writes (their size is bounded by feedpub itself), so they go into the table as moto stores them.
    """

    def __init__(self, table_name: str) -> None:
        from moto.backends import get_backend

        self.table = get_backend("dynamodb")[ACCOUNT][REGION].get_table(table_name)

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> None:  # noqa: N803
        from moto.dynamodb.models.dynamo_type import DynamoType, Item

        table = self.table
        hash_key, range_key = table.hash_key_attr, str(table.range_key_attr)
        for requests in RequestItems.values():
            for request in requests:
                attrs = wire_form(request["PutRequest"]["Item"])
                hash_value, range_value = DynamoType(attrs[hash_key]), DynamoType(attrs[range_key])
                item = Item(hash_value, range_value, {})
                dict.update(item.attrs, {name: DynamoType(value) for name, value in attrs.items()})
                table.items[hash_value][range_value] = item


def wire_form(item: dict[str, Any]) -> dict[str, Any]:
    """An item as moto receives it over HTTP: binary values base64-encoded."""
    return {name: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else value
            for name, value in item.items()}  # fmt: skip


def seed(start: int, stop: int, config: Any, table: str) -> None:
    """Index seeded articles number `start` to `stop - 1`."""
    from benchmarks.upload_cost import BatchSeeder, seeded_articles
    from feedpub.aws.index_table import ArticleIndex
    from feedpub.feeds import index_entries

    seeder = BatchSeeder(BackendWriter(table), table)
    index = ArticleIndex(table, seeder.client)
    for n, (key, article) in enumerate(seeded_articles(stop, config)):
        if n >= start:
            index.commit(key, None, article, f"seed/{article.id}", index_entries(article, config))
    seeder.flush()


def measure(sizes: tuple[int, ...], runs: int, batch: int) -> dict[int, tuple[list[ChildResult], float]]:
    """For each size (ascending; one moto account, the index topped up between sizes): `runs`
    fresh ingest processes, each on one batch of `batch` new articles; and the seeding seconds."""
    from tests.support.pipeline import receive_records
    from tests.support.stack import stack_on_endpoint

    from benchmarks.moto_scale import partition_scoped_moto
    from benchmarks.upload_cost import SECTIONS
    from feedpub.aws.index_table import ArticleIndex
    from feedpub.aws.site_bucket import SiteBucket
    from feedpub.config import SiteConfig
    from feedpub.feeds import section_feed_name
    from feedpub.names import SITE_FEED
    from feedpub.publish import Publisher

    function = template_functions()[FUNCTION]
    measured: dict[int, tuple[list[ChildResult], float]] = {}
    with partition_scoped_moto() as cancelled, moto_server() as moto, xray_sink() as xray:
        s3, sqs, db = moto.client("s3"), moto.client("sqs"), moto.client("dynamodb")
        stack = stack_on_endpoint(moto.endpoint)  # template.yaml, as `feedpub serve` creates it
        queue = stack.ingest_queue_url
        env = lambda_environment(function, stack.physical_ids, moto.endpoint, xray.port)
        config = SiteConfig.from_env(env)
        seeded = 0
        for size in sorted(sizes):
            started = time.perf_counter()
            seed(seeded, size, config, stack.table_name)
            seeding, seeded = time.perf_counter() - started, size
            if not measured:
                feeds = [SITE_FEED, *(section_feed_name(s) for s in SECTIONS)]
                publisher = Publisher(
                    ArticleIndex(stack.table_name, db),
                    SiteBucket(stack.site_bucket, config.cache_control, s3),
                    config,
                )
                publisher.publish(datetime.now(UTC), changed=feeds, force=feeds)
                receive_records(sqs, queue)  # start clean
            results = []
            for run in range(runs):
                keys = upload_batch(s3, stack.articles_bucket, f"{size}-{run}", batch)
                records = receive_records(sqs, queue)
                if len(records) != batch:
                    raise RuntimeError(f"expected {batch} queued notifications, got {len(records)}")
                result = run_child(function.handler, env, [{"Records": records}])
                check(result, s3, stack.site_bucket, keys)
                results.append(result)
            measured[size] = (results, seeding)
        if cancelled.count:
            raise RuntimeError(f"{cancelled.count} cancelled transactions: see benchmarks.moto_scale")
    return measured


def upload_batch(s3: Any, bucket: str, run: str, batch: int) -> list[str]:
    """`batch` new stories, newer than every seeded one, round-robin over the sections."""
    from benchmarks.upload_cost import SECTIONS, story

    sections = list(SECTIONS)
    now = datetime.now(UTC)  # each batch newer than the one before
    keys = []
    for n in range(batch):
        section = sections[n % len(sections)]
        key = f"articles/{section}/memory-{run}-{n}.md"
        body = story(n, section, published=now - timedelta(milliseconds=batch - n))
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        keys.append(key)
    return keys


def check(result: ChildResult, s3: Any, site_bucket: str, keys: list[str]) -> None:
    """Every record succeeded and the batch's stories lead the site feed."""
    [response] = result.responses
    if response["batchItemFailures"]:
        raise RuntimeError(f"ingest failed records: {response['batchItemFailures']}")
    feed = json.loads(s3.get_object(Bucket=site_bucket, Key="feeds/feed.json")["Body"].read())
    ids = {item["id"].rsplit("/", 1)[-1] for item in feed["items"][: len(keys)]}
    expected = {key.rsplit("/", 1)[-1].removesuffix(".md") for key in keys}
    if ids != expected:
        raise RuntimeError(f"the site feed does not lead with the batch: {sorted(ids)} != {sorted(expected)}")


def run_benchmark(smoke: bool) -> Benchmark:
    sizes = (100, 1_000) if smoke else (100, 100_000)
    runs = 1 if smoke else 3
    batch = template_functions()[FUNCTION].batch_size
    measured = measure(sizes, runs, batch)
    rows: list[list[str | int | float]] = []
    peaks = {}
    for size, (results, seeding) in measured.items():
        init_mb = statistics.median(r.peak_rss_kb_after_init for r in results) / 1024
        peak_mb = statistics.median(r.peak_rss_kb for r in results) / 1024
        batch_s = statistics.median(r.invocations[0] for r in results)
        peaks[size] = peak_mb
        rows.append([size, batch, init_mb, peak_mb, peak_mb - init_mb, LIMIT_MB - peak_mb, batch_s, seeding])
    small, large = sizes
    ratio = peaks[large] / peaks[small]
    met = None if smoke else peaks[large] < LIMIT_MB
    return Benchmark(
        number=5,
        title="Memory",
        target=f"ingest's peak RSS on a full batch, 100,000 articles indexed, < {LIMIT_MB} MB",
        met=met,
        columns=[
            "articles indexed",
            "records in the batch",
            "peak RSS after init MB",
            "peak RSS MB",
            "added by the batch MB",
            f"headroom to {LIMIT_MB} MB",
            "batch s (moto)",
            "seeding s",
        ],
        rows=rows,
        summary=(
            f"{peaks[large]:.1f} MB peak with {large:,} indexed ({ratio:.2f} x the {small:,}-article "
            f"index's {peaks[small]:.1f} MB)"
        ),
        notes=[
            f"Peak RSS is the child's VmHWM (/proc/self/status) read after the batch, median of {runs} "
            "fresh processes per size, each on a new batch. Not `ru_maxrss`: Linux carries a "
            "process's high-water mark over exec, so a child of this benchmark (whose moto holds "
            "the whole index) would report the parent's size, and RUSAGE_CHILDREN likewise.",
            "The batch is one SQS event of the template's BatchSize (10) records, new stories "
            "spread over the four sections, published after every seeded one, so every record is "
            "indexed and the site feed and every section feed are re-rendered and written once. "
            "The benchmark checks that no record failed and that the batch leads the site feed.",
            "Nothing on the ingest path reads more than a feed's newest items (a bounded Query per "
            "feed) or the keys it is given, so memory does not grow with the index: the ratio "
            "between the two sizes is the check.",
            "Lambda's *Max Memory Used* counts the whole execution environment, including the "
            "runtime interface client (a few MB more than the handler's interpreter measured "
            "here); the headroom column leaves room for it. Local Python "
            f"{'.'.join(map(str, __import__('sys').version_info[:3]))}; Lambda runs python3.13.",
            "moto runs in server mode in the benchmark process, with Query reading only the "
            "queried partition and transactions not snapshotting the table (benchmarks.moto_scale): "
            "moto limitations at 500,000 items, not feedpub's.",
        ],
        extra={"peak_mb": {str(k): v for k, v in peaks.items()}, "ratio": ratio},
    )


def main() -> None:
    cli(run_benchmark, __doc__, "1,000 articles indexed (seconds)")


if __name__ == "__main__":
    main()
