"""Every benchmark runs at smoke sizes, so none of them rots. Nothing here asserts a time: the
benchmarks check their own results (every record processed, feeds written, traces received), and
CHECKS below re-reads what some of them produced (the feeds parse, the counts match).

To add a benchmark: one line in benchmarks/run.py's MODULES (and, if its outputs are worth
re-reading, one in CHECKS here).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from benchmarks.report import Benchmark
from benchmarks.run import MODULES, write_report

from tests.support.feedcheck import json_feed_errors, parse_strict


def check_render(result: Benchmark) -> None:
    count = result.extra["items"]
    assert result.extra["item_counts"] == {"feedpub": [count] * 3, "bare": [count] * 3}
    for side in ("feedpub", "bare"):
        rss, atom, json_feed = (feed.encode() for feed in result.extra["feeds"][side])
        for xml in (rss, atom):
            parse_strict(xml)
            parsed = feedparser.parse(xml)
            assert not parsed.bozo, (side, parsed.bozo_exception)
            assert len(parsed.entries) == count
        document = json.loads(json_feed)
        assert json_feed_errors(document) == [], side
        assert len(document["items"]) == count
    assert [row[0] for row in result.rows] == ["RSS 2.0", "Atom 1.0", "JSON Feed 1.1", "all three"]


def check_throughput(result: Benchmark) -> None:
    # Each run already checked its output (N articles, 0 rejected; N published, feeds written).
    assert [row[0] for row in result.rows][:3] == [
        "build --jobs 1, pure-Python YAML (before)",
        "build --jobs 1",
        "build --jobs 2",
    ]
    assert all(isinstance(row[3], float) and row[3] > 0 for row in result.rows)  # articles/s


def check_hostile(result: Benchmark) -> None:
    outcomes: dict[str, str] = result.extra["outcomes"]
    assert result.extra["fixtures"] >= 80
    assert result.extra["count"] == len(outcomes) > result.extra["fixtures"]
    assert all(o == "accepted" or o.startswith("rejected: ") for o in outcomes.values())
    assert all(o == "accepted" for name, o in outcomes.items() if name.startswith("good/"))
    assert all(o.startswith("rejected") for name, o in outcomes.items() if name.startswith("bad/"))
    assert "aliases" in outcomes["alias bomb (YAML)"]
    assert "nested more than" in outcomes["10,000-level nesting (JSON)"]


def numbers(result: Benchmark, column: int) -> list[float]:
    """A column of the table that holds numbers."""
    values = [row[column] for row in result.rows]
    assert all(isinstance(value, int | float) for value in values), values
    return [value for value in values if isinstance(value, int | float)]


def check_upload_cost(result: Benchmark) -> None:
    single = numbers(result, 1)
    naive = numbers(result, 5)
    assert len(set(single)) == 1, f"feedpub's calls per upload vary with the archive: {single}"
    assert naive == sorted(naive) and naive[-1] > naive[0] + 50, "the naive publisher reads everything"
    assert all(batched < one for batched, one in zip(numbers(result, 3), single, strict=True)), (
        "batches of 10 share the publish"
    )
    tagged = numbers(result, 8)
    assert len(set(tagged)) == 1, f"a tagged story's calls vary with the archive: {tagged}"
    assert tagged[0] == single[0] + 5 * 5, "5 more feed sets: 4 files and 1 Query each"


def check_burst(result: Benchmark) -> None:
    extra = result.extra
    assert extra["indexed"] == extra["uploads"]  # every upload indexed (and the feeds audited)
    assert extra["max_writes_per_file"] <= extra["invocations"] < extra["uploads"]


def check_push_latency(result: Benchmark) -> None:
    extra = result.extra
    assert len(extra["samples"]) == extra["uploads"]  # every upload reached the hub and the subscriber
    assert all(s["hub"] < s["push"] for s in extra["samples"])
    operations = extra["aws_calls_by_operation"]  # the latency reached the functions' own clients
    assert operations["dynamodb.TransactWriteItems"] >= extra["uploads"]
    assert operations["sqs.SendMessageBatch"] >= extra["uploads"]
    assert extra["batching"]["IngestFunction"]["BatchSize"] == 10


def check_artifact_size(result: Benchmark) -> None:
    # Smoke sizes copy functions/ as sam does, without the dependencies: the code alone.
    assert result.extra["development_left"] == []
    assert {"feedpub", "handlers"} <= set(result.extra["parts"])
    assert not any(
        part.startswith(("feedpub/local", "feedpub/cli", "feedpub_cli")) for part in result.extra["parts"]
    )


def check_markdown(result: Benchmark) -> None:
    assert "pyromark (after)" in result.columns
    assert result.extra["compared"] >= 80  # every Markdown fixture and example
    assert all(isinstance(line, str) for line in result.extra["differences"])


def check_hugo(result: Benchmark) -> None:
    labels = [str(row[0]) for row in result.rows]
    assert labels[0].startswith("Hugo") and any("warm" in label for label in labels)
    assert result.extra["ratios"]["hugo"] == 1.0


def check_load_latency(result: Benchmark) -> None:
    facts = result.extra["facts"]
    assert [f["rate"] for f in facts] == [1, 5, 20]
    assert all(f["lost"] == 0 and f["uploads"] == f["rate"] * 2 for f in facts)  # the run checks it too
    assert result.extra["batching"]["BatchSize"] == 10
    assert result.extra["instances"] == result.extra["batching"]["MaximumConcurrency"]


CHECKS: dict[str, Callable[[Benchmark], None]] = {
    "load_latency": check_load_latency,
    "artifact_size": check_artifact_size,
    "markdown": check_markdown,
    "hugo": check_hugo,
    "upload_cost": check_upload_cost,
    "burst": check_burst,
    "render": check_render,
    "throughput": check_throughput,
    "hostile": check_hostile,
    "push_latency": check_push_latency,
}


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_runs_at_smoke_sizes(name: str) -> None:
    result = importlib.import_module(f"benchmarks.{name}").run_benchmark(smoke=True)
    assert isinstance(result, Benchmark)
    if result.columns == ["skipped"]:  # a tool it compares with is missing (hugo): said so
        pytest.skip(result.summary)
    assert result.met is None, "smoke sizes are too small to judge a target"
    assert result.title and result.target and result.summary and result.notes
    assert result.rows and all(len(row) == len(result.columns) for row in result.rows)
    json.dumps(dataclasses.asdict(result))  # benchmarks/run.py hands results over as JSON
    if name in CHECKS:
        CHECKS[name](result)


def test_the_report_has_every_benchmark_and_the_plot(tmp_path: Path) -> None:
    upload = Benchmark(
        number=1, title="Calls per upload", target="at most 12", met=False,
        columns=["indexed", "calls", "ms", "calls (10)", "ms (10)", "naive calls", "naive ms", "ratio"],
        rows=[[100, 17.0, 180.0, 7.7, 60.0, 182.0, 1238.0, 6.9],
              [10_000, 17.0, 190.0, 7.7, 61.0, 10092.0, 65985.0, 347.3]],
        summary="17 calls", notes=["A note."],
        series={"feedpub": [(100, 17.0), (10_000, 17.0)], "naive": [(100, 182.0), (10_000, 10092.0)]},
    )  # fmt: skip
    other = dataclasses.replace(upload, number=0, title="Hostile inputs", met=True, series={}, summary="ok")
    path = write_report([upload, other], tmp_path, smoke=True, seconds=61.0)
    text = path.read_text()
    assert "| 1 | Calls per upload | at most 12 | 17 calls | **not met** |" in text
    assert "| - | Hostile inputs | at most 12 | ok | met |" in text
    assert "| 10,000 | 17.00 | 190.00 |" in text and "A note." in text
    assert (tmp_path / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
