"""2. A burst of 1,000 uploads: total time, how far feed writes are coalesced, nothing lost.

    .venv/bin/python -m benchmarks.burst [--smoke]

The editors' uploads all land first (S3 -> SQS, as moto delivers them), then one ingest function
instance drains the queue in batches of 10 (the template's BatchSize) through the real handler.
Every batch publishes once, so a feed file is written at most once per batch that touched its feed
set, never once per article. At the end `feedpub audit` and an independent comparison of every
feed with the bucket must find nothing missing, stale or duplicated.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from benchmarks.report import Benchmark, cli


def run_burst(uploads: int) -> dict[str, Any]:
    import pytest
    from tests.support.convergence import assert_converged
    from tests.support.pipeline import moto_pipeline

    from benchmarks.moto_scale import partition_scoped_moto
    from benchmarks.upload_cost import CallCounter, new_story
    from feedpub.aws import clients

    with pytest.MonkeyPatch.context() as monkeypatch, partition_scoped_moto() as cancelled:
        monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "1")
        with moto_pipeline(monkeypatch, {"LogLevel": "WARNING"}) as pipeline:
            for u in range(uploads):
                pipeline.upload(*new_story(u))
            counter = CallCounter(clients.client("s3"), clients.client("dynamodb"))
            writes: Counter[str] = Counter()

            def count_write(params: dict[str, Any], **_: Any) -> None:
                if params.get("Bucket") == pipeline.site_bucket:
                    writes[params["Key"]] += 1

            clients.client("s3").meta.events.register("provide-client-params.s3.PutObject", count_write)
            invocations = 0
            began = time.perf_counter()
            batch = pipeline.batch_size  # the template's BatchSize
            while records := pipeline.receive():
                for start in range(0, len(records), batch):
                    response = pipeline.invoke(records[start : start + batch])
                    assert response == {"batchItemFailures": []}, response
                    invocations += 1
            elapsed = time.perf_counter() - began
            assert_converged(pipeline)  # every article where it belongs; audit clean
            indexed = len(pipeline.index.all_sources())
            if cancelled.count:
                raise RuntimeError("moto cancelled a transaction; see benchmarks.moto_scale")
    return {
        "uploads": uploads,
        "indexed": indexed,
        "invocations": invocations,
        "seconds": elapsed,
        "calls_per_upload": sum(counter.calls.values()) / uploads,
        "site_rss_writes": writes["feeds/rss.xml"],
        "max_writes_per_file": max(writes.values()),
        "file_writes": sum(writes.values()),
    }


def run_benchmark(smoke: bool) -> Benchmark:
    result = run_burst(40 if smoke else 1000)
    uploads = result["uploads"]
    coalesced = result["max_writes_per_file"] <= result["invocations"] < uploads
    complete = result["indexed"] == uploads
    rows = [
        [
            uploads,
            result["invocations"],
            result["seconds"],
            uploads / result["seconds"],
            result["calls_per_upload"],
            result["site_rss_writes"],
            result["max_writes_per_file"],
            result["file_writes"],
            result["indexed"],
        ]
    ]
    return Benchmark(
        number=2,
        title=f"A burst of {uploads:,} uploads",
        target="feed writes coalesced per batch, far fewer than one per upload; every article present",
        met=None if smoke else coalesced and complete,
        columns=[
            "uploads",
            "invocations (batches of 10)",
            "total s",
            "uploads/s",
            "calls/upload",
            "writes of feeds/rss.xml",
            "most writes of any file",
            "all feed-file writes",
            "articles indexed and in their feeds",
        ],
        rows=rows,
        summary=(
            f"{uploads:,} uploads in {result['seconds']:.0f} s; the site RSS written "
            f"{result['site_rss_writes']} times (not {uploads:,}); "
            f"all {result['indexed']:,} present, audit clean"
        ),
        notes=[
            "One function instance, in-process moto (see `benchmarks.moto_scale`); with several instances "
            "a publisher that finds the lock held leaves its change to the holder, which coalesces further.",
        ],
        extra=result,
    )


def main() -> None:
    cli(run_benchmark, __doc__, "40 uploads (seconds)")


if __name__ == "__main__":
    main()
