"""Hostile inputs (issue 6): every fixture and some generated monsters, each parsed and rendered.

    .venv/bin/python -m benchmarks.hostile [--smoke]

Issue 6 asks that no input take more than a second or 100 MB. Every file of
tests/fixtures/articles (good and bad) and the generated inputs below go through `parse_article`
and, when accepted, through every renderer of a feed set (RSS, Atom, JSON Feed, the HTML page).
For each input: the median time of several runs, the peak of Python allocations during one run
(tracemalloc), and for the generated inputs how far a fresh process's peak RSS rises above what
it was before the input (its peak reset after imports and a warm-up), which also counts what
libyaml, lxml and nh3 allocate outside Python.
"""

from __future__ import annotations

import functools
import gc
import json
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.news import article_markdown, body
from benchmarks.report import Benchmark, cli, median_seconds

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "articles"
SIDECAR_SUFFIX = ".expect"
TIME_LIMIT = 1.0
MEMORY_LIMIT_MB = 100.0
SLOW = 5.0
"""Seconds above which a generated input is measured once, in its fresh process only."""
SMOKE_SCALE = 0.01
FRONT = '---\ntitle: "Hostile input"\npublished: "2026-11-20T08:00:00+07:00"\n'


@dataclass
class Input:
    name: str
    key: str
    data: bytes
    generated: bool = False


@dataclass
class Result:
    input: Input
    outcome: str
    seconds: float
    traced_mb: float
    rss_added_mb: float | None = None
    output_bytes: int = 0
    runs: int = 0

    @property
    def memory_mb(self) -> float:
        return max(self.traced_mb, self.rss_added_mb or 0.0)


def fixture_inputs() -> list[Input]:
    """Every fixture file, under the key its folder gives it (as tests/unit/test_fixtures.py does)."""
    inputs = []
    for kind in ("good", "bad"):
        for path in sorted((CORPUS / kind).rglob("*")):
            if path.is_file() and not path.name.endswith(SIDECAR_SUFFIX):
                relative = path.relative_to(CORPUS / kind).as_posix()
                inputs.append(Input(f"{kind}/{relative}", f"articles/{relative}", path.read_bytes()))
    return inputs


def _limit_sized(front: str, filler: str, size: int) -> bytes:
    """Front matter plus `filler` repeated up to exactly `size` bytes (the article size limit)."""
    head = (front + "---\n").encode()
    unit = filler.encode()
    data = head + unit * ((size - len(head)) // len(unit))
    return data + b"." * (size - len(data))


def _kana_story(rng: Any, size: int) -> str:
    """Japanese-looking paragraphs (3 bytes a character in UTF-8) of about `size` characters."""
    syllables = [chr(c) for c in range(0x3042, 0x3093, 2)] + [chr(c) for c in range(0x30A2, 0x30F3, 2)]
    paragraphs, length = [], 0
    while length < size:
        sentences = "".join(
            "".join(rng.choice(syllables) for _ in range(rng.randint(8, 30))) + "。" for _ in range(5)
        )
        paragraphs.append(sentences)
        length += len(sentences) + 2
    return "\n\n".join(paragraphs)


def generated_inputs(scale: float = 1.0) -> list[Input]:
    """The big and pathological inputs issue 6 names, and a few more for the Markdown and HTML
    sanitizer; `scale` < 1 shrinks every count (smoke runs)."""
    import random

    from feedpub.source import MAX_ARTICLE_BYTES

    def n(count: int) -> int:
        return max(2, int(count * scale))

    rng = random.Random(6)
    story = body(rng, 40) + "\n\n"
    head = FRONT + "---\n"
    limit = n(MAX_ARTICLE_BYTES)
    # 99,000 characters of 3-byte text: just under the 100,000-character body limit, so it is
    # accepted and goes through Markdown, sanitizing and every renderer.
    kana = (head + _kana_story(rng, limit // 3)[: n(99_000)]).encode()
    alias_lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    alias_lines += [
        f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    published = "2026-11-20T08:00:00+07:00"

    def as_json(**fields: Any) -> bytes:
        return json.dumps({"title": "T", "published": published, **fields}).encode()

    def md(extra: str = "", text: str = "x") -> bytes:
        return f"{FRONT}{extra}---\n{text}\n".encode()

    alias_bomb = "\n".join(alias_lines)
    deep_yaml = "[" * n(10_000) + "]" * n(10_000)
    deep_json = '{"a":' * n(10_000) + "1" + "}" * n(10_000)
    json_tags = [f"tag{i}" for i in range(n(150_000))]
    yaml_tags = ", ".join(f"tag{i}" for i in range(n(7_000)))
    divs = "<div>" * n(90_000) + "x" + "</div>" * n(90_000)
    nested_list = "".join("  " * (i % 40) + "- x\n" for i in range(n(20_000)))
    references = "".join(f"[r{i}]\n" for i in range(n(30_000)))
    references += "".join(f"[r{i}]: https://e.example/{i}\n" for i in range(n(30_000)))
    inputs = [
        ("10 MB body", "world/ten-mb.md", (head + story * n(2100)).encode()[: n(10 * 2**20)]),
        ("2 MB article at the limit, ASCII", "world/limit-ascii.md", _limit_sized(FRONT, story, limit)),
        ("99,000 characters of kana, at the body limit", "world/limit-kana.md", kana),
        ("99,000 '<' at the body limit (Markdown)", "world/angles.md", md(text="<" * n(99_000))),
        ("45,000 '![' (no bracket limit since issue 16)", "world/images.md",
         md(text="![" * n(45_000) + "x" * n(9_000))),
        ("66,000 emphasis marks (no limit since issue 16)", "world/marks.md", md(text="*a_" * n(33_000))),
        ("255 nested <span>, at the depth limit", "world/spans.md", md(text="<span>" * 250 + "x")),
        ("9,000 nested <div> (body_html)", "sport/divs-9k.json", as_json(body_html="<div>" * n(9_000))),
        ("alias bomb (YAML)", "world/alias-bomb.md", f"---\n{alias_bomb}\n---\nx\n".encode()),
        ("10,000-level nesting (YAML)", "world/deep.md", md(f"a: {deep_yaml}\n")),
        ("10,000-level nesting (JSON)", "sport/deep.json", deep_json.encode()),
        ("1 MB of unclosed [ (JSON)", "sport/unclosed.json", b"[" * n(2**20)),
        ("2 MB of unclosed \"\\ (JSON)", "sport/escapes.json", b'"\\' * n(2**20)),
        ("7,000 tags (YAML, 64 KB front matter)", "world/tags.md", md(f"tags: [{yaml_tags}]\n")),
        ("150,000 tags (JSON, 1.8 MB)", "sport/tags.json", as_json(tags=json_tags, body="x")),
        ("60 KB summary in the front matter", "world/long-field.md", md(f"summary: {'x' * n(60_000)}\n")),
        ("90,000 nested <div> (body_html)", "sport/divs.json", as_json(body_html=divs)),
        ("500,000 > (nested blockquotes)", "world/quotes.md", md(text=">" * n(500_000) + " x")),
        ("20,000 list items, 40 deep", "world/lists.md", md(text=nested_list)),
        ("330,000 unmatched *a_ (Markdown)", "world/emphasis.md", md(text="*a_" * n(330_000))),
        ("400,000 [ (Markdown links)", "world/brackets.md", md(text="[" * n(400_000) + "x")),
        ("30,000 reference links", "world/references.md", md(text=references)),
        ("a normal story (for scale)", *article_markdown(1)),
    ]  # fmt: skip
    inputs = [
        (name, key if key.startswith("articles/") else f"articles/{key}", data) for name, key, data in inputs
    ]
    return [Input(name, key, data, generated=True) for name, key, data in inputs]


def process(item: Input, config: Any) -> tuple[str, int]:
    """Parse one input and, when accepted, render a feed set of it; the outcome and output size."""
    from feedpub.article import parse_article
    from feedpub.errors import ArticleError
    from feedpub.feeds import site_feed
    from feedpub.render import render_feed_set

    try:
        article = parse_article(item.key, item.data, config)
    except ArticleError as error:
        first = error.problems[0]
        more = f" (+{len(error.problems) - 1})" if len(error.problems) > 1 else ""
        return f"rejected: {first.field}: {first.message[:70]}{more}", 0
    files = render_feed_set(site_feed(config), [article], config)
    return "accepted", sum(len(f.body) for f in files)


def _traced_peak_mb(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        action()
        return (tracemalloc.get_traced_memory()[1] - before) / 2**20
    finally:
        tracemalloc.stop()


def _rss_kb() -> tuple[int, int]:
    """(current, peak) resident set of this process in KiB, from /proc (Linux)."""
    status = Path("/proc/self/status").read_text()
    current, peak = (re.search(rf"^{name}:\s+(\d+)", status, re.MULTILINE) for name in ("VmRSS", "VmHWM"))
    assert current and peak
    return int(current[1]), int(peak[1])


def child() -> None:
    """In a fresh process: time and peak RSS growth of processing the file argv[1] as key argv[2].

    After the imports and a warm-up article, the peak is reset (`clear_refs` 5, Linux >= 4.0), so
    the growth is what this one input adds above the process as it was, import peaks excluded.
    """
    from feedpub.config import SiteConfig

    config = site_config(SiteConfig)
    data = Path(sys.argv[1]).read_bytes()
    process(Input("warm-up", *article_markdown(0)), config)  # lazy imports and caches
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before, _ = _rss_kb()
    started = time.perf_counter()
    outcome, _ = process(Input("input", sys.argv[2], data), config)
    seconds = time.perf_counter() - started
    _, peak = _rss_kb()
    print(json.dumps({"before_kb": before, "after_kb": peak, "seconds": seconds, "outcome": outcome}))


def in_fresh_process(item: Input) -> dict[str, Any]:
    """`child()` on one input: seconds, outcome, and RSS (KiB) before and after."""
    with tempfile.NamedTemporaryFile(suffix=".input") as file:
        file.write(item.data)
        file.flush()
        done = subprocess.run(
            [sys.executable, "-c", "from benchmarks.hostile import child; child()", file.name, item.key],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=1800,
        )  # fmt: skip
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def site_config(cls: Any) -> Any:
    return cls(title="The Harbour Herald", base_url="https://www.example.com")


def measure(smoke: bool) -> list[Result]:
    """Every input: outcome, median seconds, traced peak, and (generated ones) RSS growth.

    A generated input first runs once in a fresh process (time and RSS). One that takes more than
    SLOW seconds there is not run again: its time is that single run, its memory the RSS growth.
    """
    from feedpub.config import SiteConfig

    config = site_config(SiteConfig)
    inputs = fixture_inputs() + generated_inputs(SMOKE_SCALE if smoke else 1.0)
    results = []
    for item in inputs:
        fresh = None
        if item.generated and (not smoke or item.name.startswith("alias")):
            fresh = in_fresh_process(item)
            if fresh["seconds"] > SLOW:
                rss = (fresh["after_kb"] - fresh["before_kb"]) / 1024
                results.append(Result(item, fresh["outcome"], fresh["seconds"], 0.0, rss, runs=1))
                continue
        outcome, size = process(item, config)  # also the warm-up
        repeat = 1 if smoke else (3 if item.generated else 5)
        seconds = median_seconds(functools.partial(process, item, config), repeat)
        traced = _traced_peak_mb(functools.partial(process, item, config))
        rss = None if fresh is None else (fresh["after_kb"] - fresh["before_kb"]) / 1024
        results.append(Result(item, outcome, seconds, traced, rss, output_bytes=size, runs=repeat))
    return results


def run_benchmark(smoke: bool) -> Benchmark:
    """Issue 6's hostile-input measurement."""
    results = measure(smoke)
    fixtures = sum(not r.input.generated for r in results)
    by_time = sorted(results, key=lambda r: r.seconds, reverse=True)
    by_memory = sorted(results, key=lambda r: r.memory_mb, reverse=True)
    shown = by_time[:10] + [r for r in by_memory[:5] if r not in by_time[:10]]
    shown += [r for r in results if r.input.generated and r not in shown]
    rows: list[list[Any]] = [
        [
            r.input.name,
            r.outcome,
            r.seconds * 1000,
            r.runs,
            "—" if r.runs == 1 and r.traced_mb == 0 else round(r.traced_mb, 1),
            "—" if r.rss_added_mb is None else round(r.rss_added_mb, 1),
            f"{len(r.input.data) / 1024:,.0f} KB",
        ]
        for r in shown
    ]
    over = [r for r in results if r.seconds >= TIME_LIMIT or r.memory_mb >= MEMORY_LIMIT_MB]
    slowest, biggest = by_time[0], by_memory[0]
    accepted = sum(r.outcome == "accepted" for r in results)
    return Benchmark(
        number=0,
        title="Hostile inputs (issue 6)",
        target=f"every input under {TIME_LIMIT:.0f} s and {MEMORY_LIMIT_MB:.0f} MB",
        met=None if smoke else not over,
        columns=["input", "outcome", "median ms", "runs", "traced peak MB", "RSS growth MB", "size"],
        rows=rows,
        summary=(
            f"{len(results)} inputs, {len(over)} over a limit: slowest {slowest.seconds:,.1f} s "
            f"({slowest.input.name}), most memory {biggest.memory_mb:.0f} MB ({biggest.input.name})"
        ),
        notes=[
            " ".join(__doc__.split("\n\n", 2)[2].split()) if __doc__ else "",
            f"{len(results)} inputs: {fixtures} fixture files and {len(results) - fixtures} "
            f"generated ({accepted} accepted in all). The table shows the 10 slowest, the 5 largest "
            "by memory and every generated input. Times are medians of 5 runs (3 for generated "
            "inputs) after a warm-up run; a generated input slower than "
            f"{SLOW:.0f} s in its fresh process is run only there, once (runs = 1). Memory is the "
            "larger of the traced peak and the RSS growth.",
        ],
        extra={
            "count": len(results),
            "fixtures": fixtures,
            "accepted": accepted,
            "over": [r.input.name for r in over],
            "outcomes": {r.input.name: r.outcome for r in results},
            "max_seconds": slowest.seconds,
            "max_memory_mb": biggest.memory_mb,
        },
    )


def main() -> None:
    cli(run_benchmark, __doc__, "generated inputs at 1%%, one run each")


if __name__ == "__main__":
    main()
