"""Issue 16: `feedpub build` against Hugo on the same 10,000 articles, cold and warm.

    .venv/bin/python -m benchmarks.hugo [--smoke]

Hugo is Debian's package (`apt-get install -y hugo`, which this benchmark runs when `hugo` is
missing and it may); without it the benchmark says so and skips. The method is in METHOD.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.report import Benchmark, cli
from benchmarks.throughput import NOW, ChildRun, child_env, parallelism, run_child

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "edbbd92"
"""The commit before issue 16 (markdown-it-py, every body rendered, no cache): run from a copy of
its functions/ folder, in this environment (markdown-it-py is in the bench extra)."""
BEFORE_ENTRY = "feedpub.cli"
"""Where that commit's `feedpub` command lives (issue 15 moved it to feedpub_cli.main)."""
HUGO_CONFIG = """baseURL = "https://www.example.com/"
title = "The Harbour Herald"
contentDir = "{content}"
disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]
[outputs]
home = ["RSS"]
section = ["RSS"]
page = []
[services.rss]
limit = 50
"""
METHOD = [
    "The input (benchmarks/generate.py `write_plain`): articles over 4 sections, 8 paragraphs of "
    "60 words each, front matter of title, published and summary. Hugo reads the same files (its "
    "contentDir is the articles folder) and writes RSS for the home page and the 4 sections, 50 "
    "items each, nothing else (config in this module). feedpub writes what it always writes: RSS, "
    "Atom, JSON Feed and an HTML page for the site and each section, and the sitemaps.",
    "Each repetition runs, one after another: Hugo's full build into a fresh folder; `feedpub "
    "build --jobs 2` as it was before issue 16 (commit " + BEFORE + ", from a copy of its "
    "functions/ folder); `feedpub build --jobs 2` cold (no cache folder); the same warm, after "
    "one article changed (its cache from the cold run); and `--no-cache`. Every run is a fresh "
    "process timed from start to exit, with Python's bytecode cache on (warmed by an untimed "
    "build of 20 articles), as for any installed command; both tools use both cores. Ratios to "
    "Hugo are the medians of the per-repetition ratios, so both numbers of a ratio come from the "
    "same moment.",
]


def ensure_hugo(install: bool = True) -> str | None:
    """The path of `hugo`, installing Debian's package when missing (as root, and only when asked:
    `tasks.py bench` does, the smoke test leaves that to .ci/run); None if impossible."""
    found = shutil.which("hugo")
    if found or not install or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "hugo"]):
        if subprocess.run(command, capture_output=True, check=False).returncode != 0:
            return None
    return shutil.which("hugo")


def hugo_version(hugo: str) -> str:
    return subprocess.run([hugo, "version"], capture_output=True, text=True, check=True).stdout.strip()


def run_hugo(hugo: str, site: Path, out: Path) -> float:
    """One full Hugo build into a fresh folder; its wall time."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([hugo, "--source", str(site), "--destination", str(out), "--quiet"], check=True)
    seconds = time.perf_counter() - started
    if not (out / "index.xml").exists():
        raise RuntimeError("hugo wrote no index.xml")
    return seconds


def before_tree(work: Path) -> Path | None:
    """functions/ as of BEFORE, extracted from git; None outside a git checkout."""
    archive = subprocess.run(
        ["git", "archive", BEFORE, "functions"], cwd=ROOT, capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    target = work / "before"
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / "functions"


def feedpub_run(
    src: Path, out: Path, extra: list[str], env: dict[str, str], count: int, entry: str = "feedpub_cli.main"
) -> ChildRun:
    args = ["build", str(src), "--out", str(out), "--now", NOW, "--jobs", "2", *extra]
    run = run_child("", args, env, entry)
    if f"{count} articles, 0 rejected" not in run.output:
        raise RuntimeError(f"unexpected build output: {run.output[-2000:]}")
    return run


def touch_one(src: Path, n: int) -> None:
    """Change one article's body (a different one each time)."""
    stories = sorted((src / "articles" / "world").iterdir())
    story = stories[n % len(stories)]
    story.write_text(story.read_text(encoding="utf-8") + f"\nEdited {n}.\n", encoding="utf-8")


def warm_up(work: Path, env: dict[str, str], old_env: dict[str, str] | None) -> None:
    """One untimed build of a few articles by each tree, so that their bytecode is cached."""
    tiny = work / "tiny"
    generate.write_plain(tiny, 20)
    for variant, extra, entry in ((env, ["--no-cache"], "feedpub_cli.main"), (old_env, [], BEFORE_ENTRY)):
        if variant is not None:
            feedpub_run(tiny, work / "tiny-out", extra, variant, 20, entry)
            shutil.rmtree(work / "tiny-out")


def measure(hugo: str, count: int, repeat: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="feedpub-hugo-"))
    try:
        src, site = work / "src", work / "hugo"
        generate.write_plain(src, count)
        site.mkdir()
        (site / "config.toml").write_text(HUGO_CONFIG.format(content=src / "articles"))
        cache = work / "cache"
        # Bytecode is cached as any installed command's is (this environment may turn it off).
        python = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        env = child_env({"FEEDPUB_CACHE_DIR": str(cache), **python})
        old = before_tree(work)
        old_env = child_env({"PYTHONPATH": f"{old}{os.pathsep}{ROOT}", **python}) if old else None
        warm_up(work, env, old_env)
        runs: dict[str, list[float]] = {}
        cores = []
        for n in range(repeat):
            cores.append(parallelism(2_000_000 if count < 1000 else 20_000_000))
            runs.setdefault("hugo", []).append(run_hugo(hugo, site, work / "hugo-out"))
            if old_env is not None:
                shutil.rmtree(work / "out-before", ignore_errors=True)
                runs.setdefault("before", []).append(
                    feedpub_run(src, work / "out-before", [], old_env, count, BEFORE_ENTRY).seconds
                )
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(work / "out", ignore_errors=True)
            runs.setdefault("cold", []).append(feedpub_run(src, work / "out", [], env, count).seconds)
            touch_one(src, n)
            runs.setdefault("warm", []).append(feedpub_run(src, work / "out", [], env, count).seconds)
            shutil.rmtree(work / "out-plain", ignore_errors=True)
            runs.setdefault("no-cache", []).append(
                feedpub_run(src, work / "out-plain", ["--no-cache"], env, count).seconds
            )
            same = all(
                (work / "out" / p.relative_to(work / "out-plain")).read_bytes() == p.read_bytes()
                for p in (work / "out-plain").rglob("*")
                if p.is_file()
            )
            if not same:
                raise RuntimeError("the cached build wrote other bytes than --no-cache")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"runs": runs, "cores": statistics.median(cores)}


LABELS = {
    "hugo": "Hugo, full build (RSS: home + 4 sections)",
    "before": f"feedpub build, before issue 16 ({BEFORE})",
    "cold": "feedpub build, cold (no cache)",
    "warm": "feedpub build, warm (1 article changed)",
    "no-cache": "feedpub build --no-cache",
}


def run_benchmark(smoke: bool) -> Benchmark:
    """Issue 16 targets 1 and 2: cold build within 2 x Hugo, warm rebuild faster than Hugo."""
    count, repeat = (200, 1) if smoke else (10_000, 5)
    hugo = ensure_hugo(install=not smoke)
    title = f"feedpub build against Hugo, {count:,} articles (issue 16)"
    target = "cold build at most 2.0 x Hugo's; warm rebuild (1 article changed) faster than Hugo's full build"
    if hugo is None:
        return Benchmark(
            number=0, title=title, target=target, met=None, columns=["skipped"], rows=[],
            summary="skipped: hugo is not installed and Debian's package could not be installed",
        )  # fmt: skip
    result = measure(hugo, count, repeat)
    runs: dict[str, list[float]] = result["runs"]
    ratios = {
        name: statistics.median(t / h for t, h in zip(times, runs["hugo"], strict=True))
        for name, times in runs.items()
    }
    rows: list[list[Any]] = [
        [LABELS[name], statistics.median(times), min(times), max(times), ratios[name]]
        for name, times in runs.items()
    ]
    cold, warm = ratios["cold"], ratios["warm"]
    before = f"{ratios['before']:.2f} x before, " if "before" in ratios else ""
    summary = (
        f"cold {cold:.2f} x Hugo ({before}target 2.0); warm {warm:.2f} x Hugo's full build "
        f"(target < 1); Hugo {statistics.median(runs['hugo']):.2f} s"
    )
    notes = [
        *METHOD,
        f"{hugo_version(hugo)}. The machine gave {result['cores']:.2f} cores' worth to two "
        "CPU-bound processes while measuring (2.0 on an idle 2-core machine; see benchmark 6).",
        "Every cached build's output was compared with the `--no-cache` build's, byte for byte.",
    ]
    return Benchmark(
        number=0, title=title, target=target, met=None if smoke else cold <= 2.0 and warm < 1.0,
        columns=["command", "median s", "min s", "max s", "x Hugo (median of ratios)"], rows=rows,
        summary=summary, notes=notes, extra={"ratios": ratios, "count": count, "cores": result["cores"]},
    )  # fmt: skip


def main() -> None:
    cli(run_benchmark, __doc__, "200 articles, one run each")


if __name__ == "__main__":
    main()
