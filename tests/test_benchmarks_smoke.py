"""Every benchmark runs at smoke sizes, so none of them rots. Nothing here asserts a time: the
benchmarks check their own results (every record processed, feeds written, traces received)."""

from __future__ import annotations

import dataclasses
import importlib
import json

import pytest
from benchmarks.report import Benchmark

MODULES = [
    "cold_start",
    "memory",
]


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_runs_at_smoke_sizes(name: str) -> None:
    result = importlib.import_module(f"benchmarks.{name}").run_benchmark(smoke=True)
    assert isinstance(result, Benchmark)
    assert result.met is None, "smoke sizes are too small to judge a target"
    assert result.title and result.target and result.summary and result.notes
    assert result.rows and all(len(row) == len(result.columns) for row in result.rows)
    json.dumps(dataclasses.asdict(result))  # benchmarks/run.py hands results over as JSON
