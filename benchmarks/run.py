"""Run every benchmark and write docs/benchmarks.md with its table and plot.

    python3 tasks.py bench            # the full sizes (tens of minutes), writes docs/
    python3 tasks.py bench --smoke    # tiny sizes (about a minute), writes to a temporary folder

Each benchmark runs in its own fresh interpreter (no warm caches or patched modules carried from
one to the next) and hands its result back as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from benchmarks.report import Benchmark, markdown_table

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "upload_cost",
    "burst",
    "render",
    "cold_start",
    "memory",
    "throughput",
    "hostile",
    "push_latency",
    "bots",
    "artifact_size",
    "markdown",
    "hugo",
    "load_latency",
]
PACKAGES = ["feedgen", "lxml", "boto3", "botocore", "aws-lambda-powertools", "moto", "PyYAML", "pyromark",
            "markdown-it-py", "cmarkgfm", "nh3", "Jinja2", "matplotlib", "crawlerdetect"]  # fmt: skip


def run_one(name: str, smoke: bool, keep: Path) -> Benchmark:
    """Run benchmarks.<name> in a fresh interpreter and read its result back (kept in `keep`, and
    read from there instead when a previous, interrupted run already measured it)."""
    out = keep / f"{name}{'-smoke' if smoke else ''}.json"
    if not out.exists():
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "functions")])}
        command = [sys.executable, "-m", "benchmarks.run", "--only", name, "--json", str(out)]
        subprocess.run([*command, *(["--smoke"] if smoke else [])], cwd=ROOT, env=env, check=True)
    return Benchmark(**json.loads(out.read_text()))


def machine() -> list[str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        memory = 0
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    import yaml

    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores, {memory} GiB RAM, {platform.platform()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); "
        f"libyaml {'yes' if getattr(yaml, '__with_libyaml__', False) else 'no'}",
        "- Packages: " + ", ".join(versions),
    ]


def plot(results: list[Benchmark], path: Path) -> None:
    """Calls and time per upload against archive size, feedpub beside the naive publisher."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    upload = next((r for r in results if r.number == 1), None)
    if upload is None:
        return
    figure, (calls, times) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, points in upload.series.items():
        xs, ys = zip(*points, strict=True)
        calls.plot(xs, ys, marker="o", label=label)
    for label, column in (("feedpub, 1 upload per invocation", 2), ("naive", 6)):
        times.plot(
            [row[0] for row in upload.rows], [row[column] for row in upload.rows], marker="o", label=label
        )
    for axes, title in ((calls, "AWS API calls per upload"), (times, "median ms per upload (moto)")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("articles already indexed")
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)


def write_report(results: list[Benchmark], folder: Path, smoke: bool, seconds: float | None) -> Path:
    """docs/benchmarks.md (and benchmarks.png beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    plot(results, folder / "benchmarks.png")
    mark = {True: "met", False: "**not met**", None: "n/a (smoke)"}
    lines = [
        "# Benchmarks",
        "",
        "Written by `python3 tasks.py bench` (`benchmarks/run.py`); do not edit by hand. Every number is a "
        "median of several runs, and every comparison a ratio of two numbers measured in the same run. "
        "CI runs the same code at tiny sizes (`tests/benchmarks/test_benchmarks_smoke.py`) so it never "
        "rots; no test asserts a time.",
        "",
        *machine(),
        f"- Run: {f'{seconds / 60:.1f} min' if seconds is not None else 'resumed, from kept results'}"
        f"{' (smoke sizes)' if smoke else ''}; {time.strftime('%Y-%m-%d', time.gmtime())}",
        "",
        "## Summary",
        "",
        markdown_table(
            ["#", "benchmark", "target", "result", "met?"],
            [
                [str(r.number) if r.number else "-", r.title, r.target, r.summary, mark[r.met]]
                for r in results
            ],
        ),
        "",
        "![Calls and time per upload against archive size](benchmarks.png)",
        "",
    ]
    for result in results:
        lines += [f"## {str(result.number) + '. ' if result.number else ''}{result.title}", ""]
        lines += [f"Target: {result.target}. Result: {result.summary} ({mark[result.met]}).", ""]
        lines += [markdown_table(result.columns, result.rows), ""]
        for note in result.notes:
            lines += [note, ""]
    path = folder / "benchmarks.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that everything runs")
    parser.add_argument("--only", choices=MODULES, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="folder for benchmarks.md and .png (default: docs/)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="folder keeping each benchmark's result, so a rerun measures only what is missing "
        "(default: a new temporary folder)",
    )
    parser.add_argument("names", nargs="*", metavar="name", help=f"only these of {', '.join(MODULES)}")
    args = parser.parse_args()
    if unknown := set(args.names) - set(MODULES):
        parser.error(f"no benchmark {', '.join(sorted(unknown))}; there are {', '.join(MODULES)}")
    if args.only:
        result = importlib.import_module(f"benchmarks.{args.only}").run_benchmark(args.smoke)
        args.json.write_text(json.dumps(dataclasses.asdict(result)))
        return
    began = time.perf_counter()
    keep = args.keep or Path(tempfile.mkdtemp())
    keep.mkdir(parents=True, exist_ok=True)
    results = []
    resumed = all((keep / f"{name}{'-smoke' if args.smoke else ''}.json").exists() for name in MODULES)
    for name in args.names or MODULES:
        print(f"== {name}", flush=True)
        results.append(run_one(name, args.smoke, keep))
        print(results[-1].summary, flush=True)
    results.sort(key=lambda r: r.number or 99)
    folder = args.out or (Path(tempfile.mkdtemp()) if args.smoke else ROOT / "docs")
    seconds = None if resumed else time.perf_counter() - began
    print(f"wrote {write_report(results, folder, args.smoke, seconds)}")


if __name__ == "__main__":
    main()
