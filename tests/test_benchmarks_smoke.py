"""Every benchmark runs at smoke sizes, so none of them rots. Nothing here asserts a time: the
benchmarks check their own results (every record processed, feeds written, traces received), and
CHECKS below re-reads what some of them produced (the feeds parse, the counts match).

To add a benchmark: one line in MODULES (and, if its outputs are worth re-reading, one in CHECKS).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable

import feedparser
import pytest
from benchmarks.report import Benchmark

from tests.feedcheck import json_feed_errors, parse_strict

MODULES = [
    "cold_start",
    "memory",
    "render",
    "throughput",
    "hostile",
]


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


CHECKS: dict[str, Callable[[Benchmark], None]] = {
    "render": check_render,
    "throughput": check_throughput,
    "hostile": check_hostile,
}


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_runs_at_smoke_sizes(name: str) -> None:
    result = importlib.import_module(f"benchmarks.{name}").run_benchmark(smoke=True)
    assert isinstance(result, Benchmark)
    assert result.met is None, "smoke sizes are too small to judge a target"
    assert result.title and result.target and result.summary and result.notes
    assert result.rows and all(len(row) == len(result.columns) for row in result.rows)
    json.dumps(dataclasses.asdict(result))  # benchmarks/run.py hands results over as JSON
    if name in CHECKS:
        CHECKS[name](result)
