"""What every benchmark returns, so one runner can print them and write docs/benchmarks.md.

Each benchmark module exposes ``run_benchmark(smoke: bool) -> Benchmark``: ``smoke=True`` runs tiny
sizes in seconds (CI runs it so benchmarks never rot; nothing asserts a time), ``smoke=False`` runs
the sizes docs/benchmarks.md reports. Times are medians of several runs; every comparison is a
ratio of two numbers measured in the same run, because the machines are noisy.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float


@dataclass
class Benchmark:
    """One numbered benchmark of issue 7: its table and whether its target was met."""

    number: int
    title: str
    target: str
    """The target in words, e.g. 'at most 1.3 x bare feedgen'."""
    met: bool | None
    """None when the run was too small to judge (smoke runs)."""
    columns: list[str]
    rows: list[list[Cell]]
    summary: str
    """One line for the summary table: the headline number against the target."""
    notes: list[str] = field(default_factory=list)
    """Method, caveats and before/after of fixes, as Markdown paragraphs."""
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Optional (x, y) series for the plot, keyed by label."""
    extra: dict[str, Any] = field(default_factory=dict)


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` runs of `action`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def markdown_table(columns: list[str], rows: list[list[Cell]]) -> str:
    """A GitHub Markdown table; floats keep at most two decimals."""

    def cell(value: Cell) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return value

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def cli(run_benchmark: Callable[[bool], Benchmark], description: str | None, smoke_help: str) -> None:
    """The standalone command of one benchmark module: run it and print what docs/benchmarks.md
    would show of it."""
    import argparse

    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help=smoke_help)
    result = run_benchmark(parser.parse_args().smoke)
    verdict = {True: "met", False: "not met", None: "not judged (smoke sizes)"}[result.met]
    print(f"## {result.number}. {result.title}\n\n{markdown_table(result.columns, result.rows)}\n")
    print(f"{result.summary}\ntarget: {result.target}: {verdict}")
    for note in result.notes:
        print(f"\n{note}")
